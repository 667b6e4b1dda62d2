import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { makeQueueStore, type RecoveryReport } from '../../src/queue/queue-store.js';
import { closeAll, errno, exists, fsWith, openStore, T0, tempStateDir } from './helpers.js';
import { busyRetryPolicy } from '../../src/platform/rename-retry.js';
import { realFs } from '../../src/platform/fs-seam.js';
import { manualClock } from '../support/manual-clock.js';
import { seedFileQueue, type Seeded } from './legacy/seed-0.1.0.js';

/**
 * Upgrade without loss: a state folder of the file queue (0.1.0) is imported at the first start
 * (src/queue/import-file-queue.ts); a failure or kill at any step leaves a state from which the
 * next start finishes it. (test/reliability/import-kill.test.ts kills the real daemon.)
 */

let dir: string;
let seeded: Seeded;
const clock = manualClock();
beforeEach(async () => {
  clock.set(T0 + 60_000);
  dir = await tempStateDir();
  seeded = await seedFileQueue(dir);
});
afterEach(async () => {
  await closeAll();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function expectImported(report: RecoveryReport | undefined): Promise<void> {
  const store = await openStore(dir, { clock });
  const { ids } = seeded;
  const state = async (id: string) => store.find(id);
  expect(await state(ids.incoming)).toMatchObject({ state: 'incoming' });
  // Caught mid-delivery by 0.1.0: back in the queue; the group that was on its way is unclear
  // (looked up before any resend), the one sent stays sent.
  expect(await state(ids.active)).toMatchObject({
    state: 'incoming',
    meta: { groups: { org: { status: 'sent' }, fed: { status: 'unclear' } }, attempts: [{ n: 1 }] },
  });
  expect(await state(ids.deferred)).toMatchObject({
    state: 'deferred',
    meta: {
      groups: { org: { status: 'unclear' } },
      attempts: [{ n: 1 }, { n: 2 }],
      nextAttemptAt: new Date(T0 + 3_600_000).toISOString(),
      lastError: { code: 'ErrorServerBusy' },
    },
  });
  expect(await state(ids.held)).toMatchObject({
    state: 'held',
    meta: { heldBy: 'operator', heldReason: 'held by bob' },
  });
  expect(await state(ids.failed)).toMatchObject({
    state: 'failed',
    meta: { lastError: { code: 'ErrorInvalidRecipients' } },
  });
  expect(await state(ids.quarantined)).toMatchObject({
    state: 'quarantined',
    meta: { quarantine: { code: 'InvalidJson' } },
  });
  expect(await state(ids.entry)).toMatchObject({
    state: 'quarantined',
    meta: { quarantine: { code: 'NotRegularFile' } },
  });
  // The tombstone: history, and still a duplicate if the same content comes again.
  expect(await state(ids.delivered)).toMatchObject({
    state: 'delivered',
    finishedAt: new Date(T0).toISOString(),
    meta: { attemptCount: 2, attempts: [] },
  });
  // Every byte of every item with content, exactly.
  for (const [id, bytes] of seeded.bytes) expect(await store.readContent(id)).toEqual(bytes);
  // The entry stays where both versions keep it, so it is still deletable.
  expect(await exists(path.join(dir, 'quarantine-entries', ids.entry))).toBe(true);
  // Old folders moved aside, not deleted; what the new version shares stays.
  for (const d of ['queue', 'data', 'delivered', 'corrupt', 'tmp']) {
    expect(await exists(path.join(dir, d))).toBe(false);
  }
  expect(
    await exists(path.join(dir, 'file-queue-0.1.0', 'queue', 'incoming', `${ids.incoming}.json`)),
  ).toBe(true);
  expect(
    await exists(path.join(dir, 'file-queue-0.1.0', 'delivered', `${ids.delivered}.json`)),
  ).toBe(true);
  expect(await exists(seeded.claimed)).toBe(true);
  expect(await exists(path.join(dir, 'control', 'x.result'))).toBe(true);
  if (report) {
    expect(report.claimed).toContain(seeded.claimed);
    expect(report.imported).toMatchObject({
      items: { incoming: 2, active: 0, deferred: 1, held: 1, failed: 1, quarantined: 2 },
      history: 1,
      skipped: 0,
      movedTo: path.join(dir, 'file-queue-0.1.0'),
    });
  }
  expect(await store.stats()).toEqual({
    incoming: 2,
    active: 0,
    deferred: 1,
    held: 1,
    failed: 1,
    quarantined: 2,
  });
}

describe('import of a 0.1.0 file queue', () => {
  it('takes over every item in its state, the tombstones as history, and moves the old folders aside', async () => {
    const s = makeQueueStore({ stateDir: dir, clock });
    const report = await s.open();
    await s.close();
    await expectImported(report);
    // A second start finds nothing more to import.
    const again = makeQueueStore({ stateDir: dir, clock });
    expect((await again.open()).imported).toBeUndefined();
    await again.close();
  });

  it('a failure before the commit leaves the old folders whole; the next start imports everything', async () => {
    let fail = true;
    const s = makeQueueStore({
      stateDir: dir,
      clock,
      // Reading the tombstones is the last step inside the transaction.
      fs: fsWith({
        readdir: (async (p: string, o?: unknown) => {
          if (fail && p.endsWith(`${path.sep}delivered`)) throw errno('EIO');
          return fsp.readdir(p, o as undefined);
        }) as typeof fsp.readdir,
      }),
    });
    await expect(s.open()).rejects.toMatchObject({ code: 'EIO' });
    await s.close();
    expect(await exists(path.join(dir, 'queue'))).toBe(true);
    expect(await exists(path.join(dir, 'file-queue-0.1.0'))).toBe(false);
    fail = false;
    const retry = makeQueueStore({ stateDir: dir, clock });
    const report = await retry.open();
    await retry.close();
    await expectImported(report);
  });

  it('a metadata file the disk cannot read (EIO) stops the import; the next start imports everything', async () => {
    let fail = true;
    let reads = 0;
    const s = makeQueueStore({
      stateDir: dir,
      clock,
      // The same read production does (the seam's readTextSync): the fault reaches the scan.
      fs: fsWith({
        readTextSync: (p: string) => {
          if (fail && p.includes(`${path.sep}deferred${path.sep}`)) {
            reads++;
            throw errno('EIO');
          }
          return realFs.readTextSync(p);
        },
      }),
    });
    await expect(s.open()).rejects.toMatchObject({ code: 'EIO' });
    await s.close();
    expect(reads).toBeGreaterThan(0);
    expect(await exists(path.join(dir, 'queue'))).toBe(true);
    fail = false;
    const retry = makeQueueStore({ stateDir: dir, clock });
    const report = await retry.open();
    await retry.close();
    await expectImported(report);
  });

  it('a failure while moving the old folders is finished by the next start, nothing imported twice', async () => {
    let moves = 0;
    const s = makeQueueStore({
      stateDir: dir,
      clock,
      busyRetry: { sleep: async () => {}, policy: busyRetryPolicy({ attempts: 1 }) },
      fs: fsWith({
        rename: async (a, b) => {
          if (String(b).includes('file-queue-0.1.0') && ++moves === 2) throw errno('EIO');
          return fsp.rename(a, b);
        },
      }),
    });
    await expect(s.open()).rejects.toMatchObject({ code: 'EIO' });
    await s.close();
    expect(await exists(path.join(dir, 'file-queue-0.1.0', 'queue'))).toBe(true);
    expect(await exists(path.join(dir, 'data'))).toBe(true);
    const retry = makeQueueStore({ stateDir: dir, clock });
    const report = await retry.open();
    await retry.close();
    expect(report.imported).toMatchObject({ resumed: true, history: 1 });
    await expectImported(undefined);
  });
});
