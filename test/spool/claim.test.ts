import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { claimFile } from '../../src/spool/claim.js';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import { busyRetryPolicy } from '../../src/platform/rename-retry.js';

const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

let dir: string;
let spool: string;
let queue: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(tmpdir(), 'imspooler-claim-'));
  spool = path.join(dir, 'spool');
  queue = path.join(dir, 'queue');
  await fsp.mkdir(spool);
  await fsp.mkdir(queue);
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const exists = (p: string): Promise<boolean> =>
  fsp.lstat(p).then(
    () => true,
    () => false,
  );
const sleeps: number[] = [];
const sleep = async (ms: number): Promise<void> => {
  sleeps.push(ms);
};

/** Real fs whose rename/unlink fail with the given codes first (then behave), or forever. */
function flaky(over: {
  rename?: string[];
  renameForever?: string;
  unlinkForever?: string;
}): FsLike {
  const renameErrors = [...(over.rename ?? [])];
  return {
    ...realFs,
    rename: async (a, b) => {
      const code = over.renameForever ?? renameErrors.shift();
      if (code) throw err(code);
      return realFs.rename(a, b);
    },
    unlink: async (p) => {
      if (over.unlinkForever && p.toString().startsWith(spool)) throw err(over.unlinkForever);
      return realFs.unlink(p);
    },
  };
}

describe('claimFile', () => {
  it('moves the file with one rename on the same volume', async () => {
    await fsp.writeFile(path.join(spool, 'a.json'), '{}');
    expect(await claimFile(realFs, path.join(spool, 'a.json'), path.join(queue, 'a'))).toBe(
      'claimed',
    );
    expect(await fsp.readFile(path.join(queue, 'a'), 'utf8')).toBe('{}');
    expect(await exists(path.join(spool, 'a.json'))).toBe(false);
  });

  it('retries a held file (EPERM) and then takes it', async () => {
    sleeps.length = 0;
    await fsp.writeFile(path.join(spool, 'a'), 'x');
    const fs = flaky({ rename: ['EPERM', 'EBUSY'] });
    expect(
      await claimFile(fs, path.join(spool, 'a'), path.join(queue, 'a'), {
        sleep,
        policy: busyRetryPolicy({ firstDelayMs: 10 }),
      }),
    ).toBe('claimed');
    expect(sleeps).toEqual([10, 20]);
    expect(await exists(path.join(queue, 'a'))).toBe(true);
  });

  it('leaves a file that stays busy where it is', async () => {
    sleeps.length = 0;
    await fsp.writeFile(path.join(spool, 'a'), 'x');
    const fs = flaky({ renameForever: 'EBUSY' });
    expect(
      await claimFile(fs, path.join(spool, 'a'), path.join(queue, 'a'), {
        sleep,
        policy: busyRetryPolicy({ attempts: 4 }),
      }),
    ).toBe('busy');
    expect(sleeps).toHaveLength(3);
    expect(await fsp.readFile(path.join(spool, 'a'), 'utf8')).toBe('x');
  });

  it('waits as the shared locked-file policy says before leaving a busy file', async () => {
    sleeps.length = 0;
    await fsp.writeFile(path.join(spool, 'a'), 'x');
    const fs = flaky({ renameForever: 'EPERM' });
    expect(await claimFile(fs, path.join(spool, 'a'), path.join(queue, 'a'), { sleep })).toBe(
      'busy',
    );
    expect(sleeps).toEqual([50, 100, 200, 400]);
  });

  it('says gone when the client took the file first', async () => {
    expect(await claimFile(realFs, path.join(spool, 'nope'), path.join(queue, 'a'))).toBe('gone');
  });

  it('throws when the destination folder is missing rather than calling the file gone', async () => {
    await fsp.writeFile(path.join(spool, 'a'), 'x');
    await expect(
      claimFile(realFs, path.join(spool, 'a'), path.join(queue, 'no', 'a')),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await exists(path.join(spool, 'a'))).toBe(true);
  });

  it('copies, syncs and removes the source across volumes (EXDEV)', async () => {
    await fsp.writeFile(path.join(spool, 'a'), 'body');
    const fs = flaky({ rename: ['EXDEV'] });
    expect(await claimFile(fs, path.join(spool, 'a'), path.join(queue, 'a'))).toBe('claimed');
    expect(await fsp.readFile(path.join(queue, 'a'), 'utf8')).toBe('body');
    expect(await exists(path.join(spool, 'a'))).toBe(false);
    expect(await fsp.readdir(queue)).toEqual(['a']);
  });

  it('deletes the copy again when the source cannot be removed, so it is not taken twice', async () => {
    await fsp.writeFile(path.join(spool, 'a'), 'body');
    const fs = flaky({ rename: ['EXDEV'], unlinkForever: 'EBUSY' });
    expect(await claimFile(fs, path.join(spool, 'a'), path.join(queue, 'a'), { sleep })).toBe(
      'busy',
    );
    expect(await fsp.readdir(queue)).toEqual([]);
    expect(await exists(path.join(spool, 'a'))).toBe(true);
  });

  it('moves a symlink as the link itself, never its target', async () => {
    await fsp.writeFile(path.join(dir, 'secret'), 'do not read');
    await fsp.symlink(path.join(dir, 'secret'), path.join(spool, 'l'));
    expect(await claimFile(realFs, path.join(spool, 'l'), path.join(queue, 'l'))).toBe('claimed');
    expect((await fsp.lstat(path.join(queue, 'l'))).isSymbolicLink()).toBe(true);
    expect(await fsp.readlink(path.join(queue, 'l'))).toBe(path.join(dir, 'secret'));
  });

  it('recreates a symlink across volumes instead of copying what it points to', async () => {
    await fsp.writeFile(path.join(dir, 'secret'), 'do not read');
    await fsp.symlink(path.join(dir, 'secret'), path.join(spool, 'l'));
    const fs = flaky({ rename: ['EXDEV'] });
    expect(await claimFile(fs, path.join(spool, 'l'), path.join(queue, 'l'))).toBe('claimed');
    expect((await fsp.lstat(path.join(queue, 'l'))).isSymbolicLink()).toBe(true);
    expect(await exists(path.join(spool, 'l'))).toBe(false);
  });
});
