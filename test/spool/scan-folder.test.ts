import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scanFolder } from '../../src/spool/scan-folder.js';
import { realFs } from '../../src/platform/fs-seam.js';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(tmpdir(), 'imspooler-scan-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('scanFolder', () => {
  it('lists regular files and non-regular entries, skipping ignored names and subfolders', async () => {
    await fsp.writeFile(path.join(dir, 'a.json'), '{"x":1}');
    await fsp.writeFile(path.join(dir, '.hidden'), '');
    await fsp.writeFile(path.join(dir, 'b.TMP'), '');
    await fsp.writeFile(path.join(dir, '~b'), '');
    await fsp.mkdir(path.join(dir, 'sub'));
    await fsp.symlink(path.join(dir, 'a.json'), path.join(dir, 'link'));
    const r = await scanFolder(realFs, dir);
    expect(r.state).toBe('ok');
    const byName = Object.fromEntries(r.entries.map((e) => [e.name, e]));
    expect(Object.keys(byName).sort()).toEqual(['a.json', 'link']);
    expect(byName['a.json']).toMatchObject({
      class: 'candidate',
      kind: 'file',
      size: 7,
      path: path.join(dir, 'a.json'),
    });
    expect(byName['link']).toMatchObject({ class: 'notRegular', kind: 'symlink' });
  });

  it('reports a missing folder as missing, not as an error', async () => {
    expect(await scanFolder(realFs, path.join(dir, 'gone'))).toEqual({
      state: 'missing',
      entries: [],
      unreadable: [],
      known: [],
    });
  });

  it('lists entries the caller already knows without lstat-ing them', async () => {
    await fsp.writeFile(path.join(dir, 'old.json'), '{}');
    await fsp.writeFile(path.join(dir, 'new.json'), '{}');
    const stats: string[] = [];
    const counting = {
      ...realFs,
      lstat: (p: string) => (stats.push(path.basename(p)), realFs.lstat(p)),
    } as unknown as typeof realFs;
    const r = await scanFolder(counting, dir, path, (p) => p === path.join(dir, 'old.json'));
    expect(r.known).toEqual([path.join(dir, 'old.json')]);
    expect(r.entries.map((e) => e.name)).toContain('new.json');
    expect(stats).not.toContain('old.json');
  });

  it('reports an unreadable folder as a problem', async () => {
    const denied = {
      ...realFs,
      readdir: async () => Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' })),
    };
    const r = await scanFolder(denied as unknown as typeof realFs, dir);
    expect(r.state).toBe('problem');
    expect(r.error?.code).toBe('EACCES');
  });

  it('keeps going past one entry it cannot lstat', async () => {
    await fsp.writeFile(path.join(dir, 'a'), '');
    await fsp.writeFile(path.join(dir, 'b'), '');
    const fs = {
      ...realFs,
      lstat: (async (p: string) =>
        p.endsWith(`${path.sep}a`)
          ? Promise.reject(Object.assign(new Error('x'), { code: 'EPERM' }))
          : realFs.lstat(p)) as typeof realFs.lstat,
    };
    const r = await scanFolder(fs, dir);
    expect(r.entries.map((e) => e.name)).toEqual(['b']);
    expect(r.unreadable).toEqual([path.join(dir, 'a')]);
  });
});
