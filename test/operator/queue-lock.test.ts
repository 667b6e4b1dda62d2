import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireQueueLock, queueLockPath } from '../../src/daemon/queue-lock.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'imspooler-lock-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const holder = (pid: number, role: 'daemon' | 'cli', at = new Date().toISOString()) =>
  JSON.stringify({ pid, role, at, token: 'feedfacefeedface' });

describe('queue lock', () => {
  it('is taken exclusively and released by its holder', async () => {
    const a = await acquireQueueLock(dir, 'cli');
    expect(a.kind).toBe('acquired');
    expect(JSON.parse(await readFile(queueLockPath(dir), 'utf8'))).toMatchObject({
      pid: process.pid,
      role: 'cli',
    });
    // A second taker waits for the first (here: until its short deadline).
    await expect(acquireQueueLock(dir, 'cli', { waitMs: 100 })).rejects.toThrow(
      /locked by an imspooler command/,
    );
    if (a.kind === 'acquired') await a.release();
    const b = await acquireQueueLock(dir, 'daemon');
    expect(b.kind).toBe('acquired');
    if (b.kind === 'acquired') await b.release();
  });

  it('a daemon waits for a CLI command applying a change, then takes the lock', async () => {
    const cli = await acquireQueueLock(dir, 'cli');
    let taken = false;
    const daemon = acquireQueueLock(dir, 'daemon').then((r) => ((taken = true), r));
    await new Promise((r) => setTimeout(r, 120));
    expect(taken).toBe(false);
    if (cli.kind === 'acquired') await cli.release();
    const r = await daemon;
    expect(r.kind).toBe('acquired');
    if (r.kind === 'acquired') await r.release();
  });

  it('a live daemon holder is reported, not waited for: the CLI hands its request over', async () => {
    await writeFile(queueLockPath(dir), holder(4242, 'daemon'));
    const r = await acquireQueueLock(dir, 'cli', { alive: (pid) => pid === 4242 });
    expect(r).toMatchObject({ kind: 'daemon', holder: { pid: 4242 } });
  });

  it('breaks the lock of a holder that is gone, a CLI lock too old to be real, and our own pid from an earlier life', async () => {
    for (const content of [
      holder(999_999, 'daemon'),
      holder(4242, 'cli', new Date(Date.now() - 120_000).toISOString()),
      holder(process.pid, 'daemon'),
    ]) {
      await writeFile(queueLockPath(dir), content);
      const r = await acquireQueueLock(dir, 'daemon', {
        alive: (pid) => pid === 4242 || pid === process.pid,
        waitMs: 200,
      });
      expect(r.kind).toBe('acquired');
      if (r.kind === 'acquired') await r.release();
    }
  });

  it('a release does not remove a lock someone else took over', async () => {
    const a = await acquireQueueLock(dir, 'cli');
    await writeFile(queueLockPath(dir), holder(4242, 'daemon'));
    if (a.kind === 'acquired') await a.release();
    expect(JSON.parse(await readFile(queueLockPath(dir), 'utf8'))).toMatchObject({ pid: 4242 });
  });
});
