import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import { jsonItem, waitUntil } from '../e2e/harness.js';
import { errno, makeInProcessWorld, type InProcessWorld } from './in-process.js';

/**
 * The disk (issue 4, part 4): ENOSPC and EIO while the daemon writes its state, injected through
 * the fs seam, with a real sandbox and real folders. Nothing is lost or doubled; the daemon keeps
 * running while the disk fails and catches up when it works again. Also the spool-side faults
 * that need the seam: a file locked (EBUSY) and then freed, and a file the daemon may not read.
 */

let world: InProcessWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A switchable fault on writes under the state folder; counts how often it struck. */
function faultyDisk() {
  const sw = { code: undefined as string | undefined, hits: 0 };
  const underState = (p: unknown) => String(p).includes(`${'/'}state${'/'}`);
  const fs: FsLike = {
    ...realFs,
    writeFile: (async (p: Parameters<FsLike['writeFile']>[0], ...rest: unknown[]) => {
      if (sw.code === 'ENOSPC' && underState(p)) {
        sw.hits++;
        throw errno('ENOSPC', 'write', String(p));
      }
      return (realFs.writeFile as (...a: unknown[]) => Promise<void>)(p, ...rest);
    }) as FsLike['writeFile'],
    // EIO at fsync time: the write looked fine, the flush to disk failed.
    open: (async (p: Parameters<FsLike['open']>[0], flags?: string | number, mode?: number) => {
      if (sw.code === 'EIO' && underState(p) && flags === 'r+') {
        sw.hits++;
        throw errno('EIO', 'fsync', String(p));
      }
      return realFs.open(p, flags, mode);
    }) as FsLike['open'],
  };
  return { fs, sw };
}

async function queueFiles(w: InProcessWorld): Promise<string[]> {
  const out: string[] = [];
  for (const sub of [
    'queue/incoming',
    'queue/active',
    'queue/deferred',
    'queue/failed',
    'claimed',
    'data',
  ]) {
    out.push(...(await fsp.readdir(join(w.stateDir, sub)).catch(() => [] as string[])));
  }
  return out;
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
  it('ENOSPC while taking files in: they wait, nothing is lost, all go out when space returns', async () => {
    const disk = faultyDisk();
    world = await makeInProcessWorld({ fs: disk.fs });
    await world.start();
    disk.sw.code = 'ENOSPC';
    for (let i = 0; i < 3; i++)
      await world.drop(`full-${i}.json`, jsonItem(300 + i, ['bob@contoso.com']));
    // The daemon keeps trying (more than once) and is still alive and honest about it.
    await waitUntil(() => disk.sw.hits >= 4, 'repeated write attempts');
    expect(world.actions('spool.cleared')).toEqual([]);
    expect(world.actions('delivery.succeeded')).toEqual([]);
    expect(world.lines.some((l) => /ENOSPC/.test(l.message))).toBe(true);
    disk.sw.code = undefined;
    await expectAllDeliveredOnce(world, 3);
  });

  for (const code of ['ENOSPC', 'EIO']) {
    it(`${code} while saving delivery progress: delivered exactly once when the disk recovers`, async () => {
      const disk = faultyDisk();
      world = await makeInProcessWorld({ fs: disk.fs });
      world.sandbox.faults.set({ slowMs: { ms: 600, on: ['CreateItem'] } });
      await world.start();
      for (let i = 0; i < 3; i++)
        await world.drop(`d-${i}.json`, jsonItem(310 + i, ['bob@contoso.com']));
      // Requests are on the wire: the "sent" records that follow cannot be written.
      await waitUntil(() => world!.sandbox.stats.createItem > 0, 'a request performed');
      disk.sw.code = code;
      await waitUntil(() => disk.sw.hits >= 4, 'writes failing');
      world.sandbox.faults.clear();
      disk.sw.code = undefined;
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
