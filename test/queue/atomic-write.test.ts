import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../src/queue/atomic-write.js';
import {
  busyRetryDelays,
  busyRetryPolicy,
  LOCKED_FILE_RETRY,
  renameWithRetry,
  withBusyRetry,
} from '../../src/platform/rename-retry.js';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import { errno, fsWith, modeOf, tempStateDir } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await tempStateDir();
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes a private file and leaves no temporary file behind', async () => {
    const p = path.join(dir, 'a.json');
    await writeFileAtomic(realFs, p, '{"v":1}');
    await writeFileAtomic(realFs, p, '{"v":2}');
    expect(await fsp.readFile(p, 'utf8')).toBe('{"v":2}');
    expect(await modeOf(p)).toBe(0o600);
    expect(await fsp.readdir(dir)).toEqual(['a.json']);
  });

  it('can keep its temporary file in another folder', async () => {
    const tmp = path.join(dir, 'tmp');
    await fsp.mkdir(tmp);
    const seen: string[] = [];
    const fs = fsWith({
      writeFile: (async (p: string, ...rest: unknown[]) => {
        seen.push(path.dirname(p));
        return (fsp.writeFile as (...a: unknown[]) => Promise<void>)(p, ...rest);
      }) as typeof fsp.writeFile,
    });
    await writeFileAtomic(fs, path.join(dir, 'b.json'), 'x', { tmpDir: tmp });
    expect(seen).toEqual([tmp]);
    expect(await fsp.readdir(tmp)).toEqual([]);
  });

  it('on a full disk throws and leaves the previous content untouched', async () => {
    const p = path.join(dir, 'a.json');
    await writeFileAtomic(realFs, p, 'old');
    const full = fsWith({
      writeFile: (async (file: string) => {
        // Like a real full disk: the file is created, then the write fails.
        await fsp.writeFile(file, 'ha');
        throw errno('ENOSPC');
      }) as typeof fsp.writeFile,
    });
    await expect(writeFileAtomic(full, p, 'new')).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await fsp.readFile(p, 'utf8')).toBe('old');
    expect(await fsp.readdir(dir)).toEqual(['a.json']);
  });

  it('retries the final rename while Windows reports the target as locked', async () => {
    let fails = 2;
    const fs = fsWith({
      rename: async (a, b) => {
        if (fails-- > 0) throw errno('EPERM');
        return fsp.rename(a, b);
      },
    });
    const sleeps: number[] = [];
    const p = path.join(dir, 'c.json');
    await writeFileAtomic(fs, p, 'ok', { retry: { sleep: async (ms) => void sleeps.push(ms) } });
    expect(await fsp.readFile(p, 'utf8')).toBe('ok');
    expect(sleeps).toEqual([50, 100]);
  });
});

describe('renameWithRetry', () => {
  const sleepLog = () => {
    const sleeps: number[] = [];
    return { sleeps, sleep: async (ms: number) => void sleeps.push(ms) };
  };

  it('retries EPERM, EBUSY and EACCES, then succeeds', async () => {
    const codes = ['EPERM', 'EBUSY', 'EACCES'];
    const from = path.join(dir, 'from');
    await fsp.writeFile(from, 'x');
    const fs: Pick<FsLike, 'rename'> = {
      rename: async (a, b) => {
        const c = codes.shift();
        if (c) throw errno(c);
        return fsp.rename(a, b);
      },
    };
    const { sleeps, sleep } = sleepLog();
    await renameWithRetry(fs, from, path.join(dir, 'to'), {
      sleep,
      policy: busyRetryPolicy({ firstDelayMs: 10 }),
    });
    expect(await fsp.readFile(path.join(dir, 'to'), 'utf8')).toBe('x');
    expect(sleeps).toEqual([10, 20, 40]);
  });

  it('gives up after the last attempt with the original error', async () => {
    const { sleeps, sleep } = sleepLog();
    const fs = { rename: async () => Promise.reject(errno('EBUSY')) };
    await expect(
      renameWithRetry(fs, 'a', 'b', { policy: busyRetryPolicy({ attempts: 3 }), sleep }),
    ).rejects.toMatchObject({
      code: 'EBUSY',
    });
    expect(sleeps).toHaveLength(2);
  });

  it('does not retry other errors', async () => {
    const { sleeps, sleep } = sleepLog();
    await expect(
      withBusyRetry(() => Promise.reject(errno('ENOENT')), { sleep }),
    ).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(sleeps).toEqual([]);
  });
});

describe('the locked-file retry policy', () => {
  it('is one immutable value: 5 attempts, pauses of 50 ms doubled', () => {
    expect(busyRetryDelays(LOCKED_FILE_RETRY)).toEqual([50, 100, 200, 400]);
    expect(Object.isFrozen(LOCKED_FILE_RETRY)).toBe(true);
  });

  it('builds variations without changing the shared one', () => {
    expect(busyRetryDelays(busyRetryPolicy({ attempts: 3, firstDelayMs: 10 }))).toEqual([10, 20]);
    expect(busyRetryDelays(busyRetryPolicy({ attempts: 0 }))).toEqual([]);
    expect(LOCKED_FILE_RETRY).toEqual({ attempts: 5, firstDelayMs: 50 });
  });
});
