import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import { realSqliteError } from '../queue/helpers.js';
import { queueStates } from '../support/queue-db.js';
import { jsonItem, waitUntil } from '../e2e/harness.js';
import { errno, makeInProcessWorld, type InProcessWorld } from './in-process.js';

/**
 * The disk (issue 4, part 4): a full disk (SQLITE_FULL) and I/O errors (SQLITE_IOERR) while the
 * daemon commits its state, injected at the database's commit, with a real sandbox and folders.
 * Nothing is lost or doubled; the daemon keeps running while the disk fails and catches up when
 * it works again. Also the spool-side faults
 * that need the seam: a file locked (EBUSY) and then freed, and a file the daemon may not read.
 */

let world: InProcessWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/**
 * A switchable fault on the queue database's commits: the error node:sqlite raises when the disk
 * is full (SQLITE_FULL, made by SQLite itself) or fails (SQLITE_IOERR); counts how often it struck.
 */
function faultyDisk() {
  const sw = { kind: undefined as 'full' | 'ioerr' | undefined, hits: 0 };
  const storeHooks = {
    beforeCommit: () => {
      if (!sw.kind) return;
      sw.hits++;
      throw realSqliteError(sw.kind);
    },
  };
  return { storeHooks, sw };
}

/** Items still in the queue, and files between the spool folder and the queue. */
async function queueFiles(w: InProcessWorld): Promise<string[]> {
  const claimed = await fsp.readdir(join(w.stateDir, 'claimed')).catch(() => [] as string[]);
  return [...queueStates(w.stateDir).keys(), ...claimed];
}

async function expectAllDeliveredOnce(w: InProcessWorld, n: number): Promise<void> {
  await waitUntil(() => w.actions('delivery.succeeded').length >= n, `${n} deliveries`, 20_000);
  const eml = (await fsp.readdir(join(w.dir, 'mailbox'))).filter((f) => f.endsWith('.eml'));
  expect(eml).toHaveLength(n);
  expect(w.sandbox.stats.createItem).toBe(n);
  await waitUntil(async () => (await queueFiles(w)).length === 0, 'an empty queue');
  expect(await fsp.readdir(w.spool)).toEqual([]);
}

describe('disk faults while writing state', () => {
  it('SQLITE_FULL while taking files in: they wait, nothing is lost, all go out when space returns', async () => {
    const disk = faultyDisk();
    world = await makeInProcessWorld({ storeHooks: disk.storeHooks });
    await world.start();
    disk.sw.kind = 'full';
    for (let i = 0; i < 3; i++)
      await world.drop(`full-${i}.json`, jsonItem(300 + i, ['bob@contoso.com']));
    // The daemon keeps trying (more than once) and is still alive and honest about it.
    await waitUntil(() => disk.sw.hits >= 4, 'repeated write attempts');
    expect(world.actions('spool.cleared')).toEqual([]);
    expect(world.actions('delivery.succeeded')).toEqual([]);
    expect(world.lines.some((l) => /SQLITE_FULL/.test(l.message))).toBe(true);
    disk.sw.kind = undefined;
    await expectAllDeliveredOnce(world, 3);
  });

  for (const kind of ['full', 'ioerr'] as const) {
    it(`${kind === 'full' ? 'SQLITE_FULL' : 'SQLITE_IOERR'} while saving delivery progress: delivered exactly once when the disk recovers`, async () => {
      const disk = faultyDisk();
      world = await makeInProcessWorld({ storeHooks: disk.storeHooks });
      world.sandbox.faults.set({ slowMs: { ms: 600, on: ['CreateItem'] } });
      await world.start();
      for (let i = 0; i < 3; i++)
        await world.drop(`d-${i}.json`, jsonItem(310 + i, ['bob@contoso.com']));
      // Requests are on the wire: the "sent" records that follow cannot be written.
      await waitUntil(() => world!.sandbox.stats.createItem > 0, 'a request performed');
      disk.sw.kind = kind;
      await waitUntil(() => disk.sw.hits >= 4, 'writes failing');
      expect(
        world.lines.some((l) =>
          new RegExp(kind === 'full' ? 'SQLITE_FULL' : 'SQLITE_IOERR').test(l.message),
        ),
      ).toBe(true);
      world.sandbox.faults.clear();
      disk.sw.kind = undefined;
      await expectAllDeliveredOnce(world, 3);
    });
  }
});

describe('spool files the daemon cannot take yet', () => {
  it('a file locked (EBUSY) is left in place and taken once it is freed', async () => {
    let locked = true;
    let tries = 0;
    const fs: FsLike = {
      ...realFs,
      rename: async (from, to) => {
        if (locked && String(from).endsWith('locked.json')) {
          tries++;
          throw errno('EBUSY', 'rename', String(from));
        }
        return realFs.rename(from, to);
      },
    };
    world = await makeInProcessWorld({ fs });
    await world.start();
    const path = await world.drop('locked.json', jsonItem(320, ['bob@contoso.com']));
    await waitUntil(() => tries >= 6, 'several claim attempts');
    // Still in the spool folder, untouched; nothing logged as handled by the client.
    expect(await fsp.readdir(world.spool)).toEqual(['locked.json']);
    expect(world.actions('spool.cleared')).toEqual([]);
    locked = false;
    const line = await waitUntil(() => world!.actions('delivery.succeeded')[0], 'delivery');
    expect(line?.file?.path).toBe(path);
    await expectAllDeliveredOnce(world, 1);
  });

  it('a file the daemon may not read (EACCES) is not lost, and is taken once it is readable', async () => {
    let denied = true;
    const fs: FsLike = {
      ...realFs,
      open: (async (p: Parameters<FsLike['open']>[0], flags?: string | number, mode?: number) => {
        if (denied && String(p).includes('denied.json')) throw errno('EACCES', 'open', String(p));
        return realFs.open(p, flags, mode);
      }) as FsLike['open'],
    };
    world = await makeInProcessWorld({ fs });
    await world.start();
    await world.drop('denied.json', jsonItem(330, ['bob@contoso.com']));
    await waitUntil(
      () => world!.lines.some((l) => /EACCES/.test(l.message)),
      'the refusal reported',
    );
    expect(world.actions('spool.cleared')).toEqual([]);
    expect(world.actions('delivery.succeeded')).toEqual([]);
    denied = false;
    await expectAllDeliveredOnce(world, 1);
  });
});
