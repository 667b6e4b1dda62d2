import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { makeQueueStore, type QueueStore } from '../../src/queue/queue-store.js';
import { openConnection } from '../../src/queue/sqlite/driver.js';
import { admitContent, T0, discardStore, exists, freshStore, openStore } from './helpers.js';
import { manualClock } from '../support/manual-clock.js';

/**
 * open() after a stop or crash at any instant (docs/queue.md, "How a crash can't lose or
 * duplicate an item"), and what it does with odd entries and a damaged database.
 */

let dir: string;
let store: QueueStore;
const clock = manualClock();
beforeEach(async () => ({ dir, store } = await freshStore(clock, openStore)));
afterEach(() => discardStore(dir));

const reopen = async () => {
  await store.close();
  store = await openStore(dir, { clock });
  return store;
};
const reopenReport = async () => {
  await store.close();
  const s = makeQueueStore({ stateDir: dir, clock, busyRetry: { sleep: async () => {} } });
  const report = await s.open();
  await s.close();
  return report;
};

describe('open() after a crash', () => {
  it('puts items caught in active back in the queue; a group that was sending becomes unclear', async () => {
    const { id } = await admitContent(store, 'in flight');
    let meta = (await store.get(id))!;
    meta.groups = {
      org: {
        status: 'sent',
        recipients: { to: ['a@contoso.com'], cc: [] },
        itemClass: 'x',
        sentAt: 't',
      },
      fed: { status: 'sending', recipients: { to: ['b@fabrikam.com'], cc: [] }, itemClass: 'y' },
    };
    meta = await store.save(meta, 'active');
    const report = await reopenReport();
    expect(report.requeuedFromActive).toEqual([id]);
    const s = await reopen();
    expect(await s.get(id)).toMatchObject({
      state: 'incoming',
      seq: meta.seq + 1,
      groups: { org: { status: 'sent' }, fed: { status: 'unclear' } },
    });
  });

  it('hands files left in claimed/ to the daemon (a crash before or just after their commit) and removes half copies', async () => {
    const kept = store.claimPath('waiting.json');
    await fsp.writeFile(kept, 'not yet admitted');
    const partial = `${store.claimPath('x.json')}.partial`;
    await fsp.writeFile(partial, 'half a cross-volume copy');
    const report = await reopenReport();
    expect(report.claimed).toEqual([kept]);
    expect(report.strayRemoved).toBe(1);
    expect(await exists(partial)).toBe(false);
    // Committed but the claimed file not yet removed: admitting it again finds the duplicate.
    const s = await reopen();
    const first = await admitContent(s, 'twice');
    const again = await admitContent(s, 'twice');
    expect(again.res).toMatchObject({ kind: 'duplicate', existingState: 'incoming' });
    expect(await exists(again.claimed)).toBe(false);
    expect(await s.list()).toHaveLength(1);
    expect(first.res.kind).toBe('queued');
  });

  it('writes the row of an entry quarantined just before a crash, and removes entries of deleted items', async () => {
    const orphan = 'e'.repeat(64);
    await fsp.writeFile(path.join(dir, 'quarantine-entries', orphan), 'fifo stand-in');
    const { id } = await admitContent(store, 'deleted');
    await store.remove(id);
    await fsp.writeFile(path.join(dir, 'quarantine-entries', id), 'left behind by a crash');
    const report = await reopenReport();
    expect(report.recoveredEntries).toEqual([orphan]);
    expect(await exists(path.join(dir, 'quarantine-entries', id))).toBe(false);
    const s = await reopen();
    expect(await s.get(orphan)).toMatchObject({
      state: 'quarantined',
      quarantine: { code: 'RecoveredEntry' },
    });
  });
});

describe('open() finds items whose content is gone', () => {
  it('fails an item whose content row was removed by hand, and leaves entries quarantined unread and whole items alone', async () => {
    const { id: kept } = await admitContent(store, 'whole', { name: 'a.json' });
    const { id: lost } = await admitContent(store, 'content removed by hand', { name: 'b.json' });
    const fifo = store.claimPath('fifo');
    await fsp.writeFile(fifo, 'stand-in for a FIFO');
    const entry = await store.quarantineEntry(fifo, {
      source: '/spool/fifo',
      code: 'NotRegularFile',
      message: 'a FIFO',
      firstSeenAt: new Date(T0).toISOString(),
    });
    await store.close();
    const db = openConnection(path.join(dir, 'queue.db'));
    db.prepare('DELETE FROM content WHERE id = ?').run(lost);
    db.close();
    const report = await reopenReport();
    expect(report.missingContent).toEqual([lost]);
    const s = await reopen();
    expect(await s.get(lost)).toMatchObject({
      state: 'failed',
      lastError: { code: 'ContentMissing' },
    });
    expect((await s.get(kept))?.state).toBe('incoming');
    expect((await s.get(entry.id))?.state).toBe('quarantined');
    // Reported once: the next start finds nothing new.
    expect((await reopenReport()).missingContent).toEqual([]);
  });
});

describe('odd entries and a damaged database never block a start', () => {
  it('sets a damaged database aside with its side files, logs where, and starts a fresh one', async () => {
    await admitContent(store, 'lost with the damage');
    await store.close();
    // Overwrite the middle of the file: the header stays, pages are garbage.
    const db = path.join(dir, 'queue.db');
    const size = (await fsp.stat(db)).size;
    const h = await fsp.open(db, 'r+');
    await h.write(Buffer.alloc(size - 100, 0x5a), 100);
    await h.close();
    const s = makeQueueStore({ stateDir: dir, clock });
    const report = await s.open();
    expect(report.setAside).toEqual([
      expect.objectContaining({
        path: db,
        movedTo: path.join(dir, 'set-aside', '20261124T100000000Z', 'queue.db'),
        reason: expect.stringMatching(/damaged/),
      }),
    ]);
    // The damaged file is kept as it was, for a person (or sqlite3's .recover) to look at.
    expect((await fsp.stat(path.join(dir, 'set-aside', '20261124T100000000Z', 'queue.db'))).size).toBe(size); // prettier-ignore
    expect(await s.list()).toEqual([]);
    await admitContent(s, 'life goes on');
    expect(await s.list()).toHaveLength(1);
    await s.close();
  });

  it('sets aside a file that is not a database at all', async () => {
    await store.close();
    await fsp.writeFile(path.join(dir, 'queue.db'), 'this is not a database, it is a note');
    const s = makeQueueStore({ stateDir: dir, clock });
    const report = await s.open();
    expect(report.setAside.map((a) => path.relative(dir, a.movedTo))).toEqual([
      path.join('set-aside', '20261124T100000000Z', 'queue.db'),
    ]);
    await s.close();
  });

  it('moves aside a folder where the database belongs, and a file where a folder belongs', async () => {
    await store.close();
    await fsp.rm(path.join(dir, 'queue.db'));
    await fsp.mkdir(path.join(dir, 'queue.db'));
    await fsp.rm(path.join(dir, 'claimed'), { recursive: true });
    await fsp.writeFile(path.join(dir, 'claimed'), 'a file, not a folder');
    const s = makeQueueStore({ stateDir: dir, clock });
    const report = await s.open();
    expect(report.setAside.map((a) => path.relative(dir, a.movedTo)).sort()).toEqual([
      path.join('set-aside', '20261124T100000000Z', 'claimed'),
      path.join('set-aside', '20261124T100000000Z', 'queue.db'),
    ]);
    expect((await fsp.stat(path.join(dir, 'claimed'))).isDirectory()).toBe(true);
    expect((await fsp.stat(path.join(dir, 'queue.db'))).isFile()).toBe(true);
    await admitContent(s, 'works');
    await s.close();
  });

  it('refuses a database from a newer version instead of changing it', async () => {
    await store.close();
    const db = openConnection(path.join(dir, 'queue.db'));
    db.exec('PRAGMA user_version = 99');
    db.close();
    await expect(makeQueueStore({ stateDir: dir, clock }).open()).rejects.toThrow(
      /newer imspooler/,
    );
  });
});
