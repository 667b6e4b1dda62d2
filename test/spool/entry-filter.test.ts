import { describe, it, expect } from 'vitest';
import { classifyEntry, isIgnoredName, kindOf } from '../../src/spool/entry-filter.js';
import { lstat, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

describe('classifyEntry', () => {
  it('takes regular files as candidates', () => {
    expect(classifyEntry('msg.json', 'file')).toBe('candidate');
    expect(classifyEntry('message', 'file')).toBe('candidate');
    expect(classifyEntry('a.tmp.json', 'file')).toBe('candidate');
  });

  it('ignores hidden, lock and temporary names until they are renamed', () => {
    for (const n of ['.hidden', '~lock', 'x.tmp', 'X.TMP', 'y.Tmp']) {
      expect(isIgnoredName(n)).toBe(true);
      expect(classifyEntry(n, 'file')).toBe('ignore');
      expect(classifyEntry(n, 'symlink')).toBe('ignore');
    }
  });

  it('leaves subfolders alone', () => {
    expect(classifyEntry('sub', 'directory')).toBe('ignore');
  });

  it('marks links, FIFOs, sockets and devices as not regular', () => {
    for (const k of ['symlink', 'fifo', 'socket', 'other'] as const)
      expect(classifyEntry('x.json', k)).toBe('notRegular');
  });
});

describe('kindOf', () => {
  it('sees a symlink to a regular file as a symlink (lstat, not stat)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'imspooler-kind-'));
    try {
      await writeFile(path.join(dir, 'target'), 'x');
      await symlink(path.join(dir, 'target'), path.join(dir, 'link'));
      expect(kindOf(await lstat(path.join(dir, 'link')))).toBe('symlink');
      expect(kindOf(await lstat(path.join(dir, 'target')))).toBe('file');
      expect(kindOf(await lstat(dir))).toBe('directory');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
