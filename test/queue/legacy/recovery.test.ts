/** The 0.1.0 file queue's own crash recovery: step 1 of its import into the database (src/queue/import-file-queue.ts). */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { makeQueueStore, type QueueStore } from '../../../src/queue/legacy/file-queue-store.js';
import { admitContent, errno, exists, freshStore, fsWith, openStore, sha } from './helpers.js';
import { manualClock } from '../../support/manual-clock.js';

let dir: string;
let store: QueueStore;
const clock = manualClock();
beforeEach(async () => ({ dir, store } = await freshStore(clock, openStore)));
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const q = (state: string, id: string) => path.join(dir, 'queue', state, `${id}.json`);
const reopen = () =>
  makeQueueStore({ stateDir: dir, clock, busyRetry: { sleep: async () => {} } }).open();

describe('open() after a crash', () => {
  it('keeps the newer copy when a crash interrupted a state change', async () => {
    const { id } = await admitContent(store, 'moving');
    const meta = (await store.get(id))!;
    // Crash between the two steps: the new copy is written, the old one is not yet removed.
    const crashing = makeQueueStore({
      stateDir: dir,
      clock,
      fs: fsWith({ unlink: async () => Promise.reject(errno('EIO')) }),
    });
    await expect(crashing.save(meta, 'deferred')).rejects.toMatchObject({ code: 'EIO' });
    expect(await exists(q('incoming', id))).toBe(true);
    expect(await exists(q('deferred', id))).toBe(true);
    expect((await store.get(id))?.state).toBe('deferred');
    expect((await store.list()).map((m) => m.state)).toEqual(['deferred']);

    const report = await reopen();
    expect(report.duplicatesResolved).toEqual([id]);
    expect(await exists(q('incoming', id))).toBe(false);
    expect((await store.get(id))?.seq).toBe(2);
  });

  it('puts items caught in active back in incoming, marking a request in flight as unclear', async () => {
    const { id } = await admitContent(store, 'in flight');
    const meta = await store.save((await store.get(id))!, 'active');
    await store.save({
      ...meta,
      groups: {
        org: {
          status: 'sent',
          recipients: { to: ['bob@contoso.com'], cc: [] },
          itemClass: 'IPM.Note.Microsoft.Missed',
          sentAt: 'x',
        },
        fed: {
          status: 'sending',
          recipients: { to: [], cc: ['carol@fabrikam.com'] },
          itemClass: 'IPM.Note',
        },
      },
    });
    const report = await reopen();
    expect(report.requeuedFromActive).toEqual([id]);
    const after = (await store.get(id))!;
    expect(after.state).toBe('incoming');
    expect(after.groups.org?.status).toBe('sent');
    expect(after.groups.fed?.status).toBe('unclear');
    expect(await exists(q('active', id))).toBe(false);
  });

  it('reports files left in claimed/ and removes half-finished copies and temporary files', async () => {
    const left = store.claimPath('conv.json');
    await fsp.writeFile(left, 'not yet admitted');
    await fsp.writeFile(`${store.claimPath('x.json')}.partial`, 'half a copy');
    await fsp.writeFile(path.join(dir, 'tmp', '.abc.json.0123456789ab.tmp'), 'half');
    await fsp.writeFile(path.join(dir, 'queue', 'incoming', '.abc.json.0123456789ab.tmp'), 'half');
    const report = await reopen();
    expect(report.claimed).toEqual([left]);
    expect(report.strayTmpRemoved).toBe(3);
    expect(await fsp.readdir(path.join(dir, 'claimed'))).toEqual([path.basename(left)]);
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
    expect(await fsp.readdir(path.join(dir, 'queue', 'incoming'))).toEqual([]);
  });

  it('sends bytes without metadata (crash inside admit) back through claimed/', async () => {
    const id = sha('orphan');
    await fsp.writeFile(path.join(dir, 'data', id), 'orphan');
    const report = await reopen();
    expect(report.orphanDataReadmitted).toEqual([id]);
    expect(report.claimed).toHaveLength(1);
    expect(await fsp.readFile(report.claimed[0]!, 'utf8')).toBe('orphan');
    expect(await exists(path.join(dir, 'data', id))).toBe(false);
  });

  it('moves metadata whose content is missing to failed, with the reason', async () => {
    const { id } = await admitContent(store, 'lost');
    await fsp.unlink(path.join(dir, 'data', id));
    const report = await reopen();
    expect(report.missingContent).toEqual([id]);
    const meta = (await store.get(id))!;
    expect(meta.state).toBe('failed');
    expect(meta.lastError).toMatchObject({ code: 'ContentMissing' });
    expect((await reopen()).missingContent).toEqual([id]);
    expect((await store.get(id))!.seq).toBe(meta.seq);
  });

  it('finishes a delivery interrupted after its tombstone, never resending it', async () => {
    const { id } = await admitContent(store, 'delivered');
    const meta = (await store.get(id))!;
    const crashing = makeQueueStore({
      stateDir: dir,
      clock,
      fs: fsWith({ unlink: async () => Promise.reject(errno('EIO')) }),
    });
    await expect(crashing.markDelivered(meta)).rejects.toThrow();
    const report = await reopen();
    expect(report.deliveryFinished).toEqual([id]);
    expect(await store.list()).toEqual([]);
    expect(await exists(path.join(dir, 'data', id))).toBe(false);
  });

  it('replaces unreadable metadata with a visible failed item and keeps the original', async () => {
    const { id } = await admitContent(store, 'corrupted');
    await fsp.writeFile(q('incoming', id), '{"version":1,"id":"');
    const report = await reopen();
    expect(report.corruptMeta).toEqual([id]);
    const meta = (await store.get(id))!;
    expect(meta.state).toBe('failed');
    expect(meta.lastError?.code).toBe('CorruptMetadata');
    expect(meta.lastError?.message).toMatch(/content is in data\//);
    const kept = await fsp.readdir(path.join(dir, 'corrupt'));
    expect(kept).toHaveLength(1);
    expect(await fsp.readFile(path.join(dir, 'corrupt', kept[0]!), 'utf8')).toBe(
      '{"version":1,"id":"',
    );
  });

  it('rebuilds the record of a quarantined entry whose metadata was never written', async () => {
    const id = sha('entry');
    await fsp.writeFile(path.join(dir, 'quarantine-entries', id), '');
    const report = await reopen();
    expect(report.recoveredEntries).toEqual([id]);
    expect((await store.get(id))?.quarantine?.code).toBe('RecoveredEntry');
  });

  it('hands every item left in the queue to onItem once, as it stands after its repair', async () => {
    const waiting = (await admitContent(store, 'waiting')).id;
    const active = (await admitContent(store, 'was active')).id;
    await store.save((await store.get(active))!, 'active');
    const lost = (await admitContent(store, 'lost content')).id;
    await fsp.unlink(path.join(dir, 'data', lost));
    const done = (await admitContent(store, 'delivered meanwhile')).id;
    const crashing = makeQueueStore({
      stateDir: dir,
      clock,
      fs: fsWith({ unlink: async () => Promise.reject(errno('EIO')) }),
    });
    await expect(crashing.markDelivered((await store.get(done))!)).rejects.toThrow();
    const seen = new Map<string, string>();
    await makeQueueStore({ stateDir: dir, clock }).open({
      onItem: (m) => {
        expect(seen.has(m.id)).toBe(false);
        seen.set(m.id, m.state);
      },
    });
    expect(Object.fromEntries(seen)).toEqual({
      [waiting]: 'incoming',
      [active]: 'incoming',
      [lost]: 'failed',
    });
  });

  it('repairs a large queue read in chunks, keeping the newer of two copies', async () => {
    const template = (await admitContent(store, 'template')).res;
    if (template.kind !== 'queued') throw new Error('setup');
    const ids = Array.from({ length: 700 }, (_, i) => sha(`bulk ${i}`));
    await Promise.all(
      ids.flatMap((id) => [
        fsp.writeFile(path.join(dir, 'data', id), 'x'),
        fsp.writeFile(q('incoming', id), JSON.stringify({ ...template.meta, id })),
      ]),
    );
    const dup = ids[500]!;
    await fsp.writeFile(
      q('deferred', dup),
      JSON.stringify({ ...template.meta, id: dup, state: 'deferred', seq: 9 }),
    );
    let visits = 0;
    const report = await makeQueueStore({ stateDir: dir, clock }).open({
      onItem: () => visits++,
    });
    expect(visits).toBe(701);
    expect(report.duplicatesResolved).toEqual([dup]);
    expect(await exists(q('incoming', dup))).toBe(false);
    expect((await store.get(dup))?.seq).toBe(9);
  });

  it('finds nothing to do on a clean queue, and prunes old tombstones', async () => {
    const { id } = await admitContent(store, 'done');
    await store.markDelivered((await store.get(id))!);
    await admitContent(store, 'waiting');
    await clock.advance(31 * 86_400_000);
    const report = await reopen();
    expect(report).toEqual({
      claimed: [],
      requeuedFromActive: [],
      duplicatesResolved: [],
      deliveryFinished: [],
      orphanDataReadmitted: [],
      missingContent: [],
      corruptMeta: [],
      recoveredEntries: [],
      strayTmpRemoved: 0,
      tombstonesPruned: 1,
    });
    expect(await store.list()).toHaveLength(1);
  });
});
