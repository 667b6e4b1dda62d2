import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  openConnection,
  storageFailureName,
  type Database,
} from '../../src/queue/sqlite/driver.js';
import { makeGroupCommit } from '../../src/queue/sqlite/group-commit.js';
import { configureWriter } from '../../src/queue/sqlite/schema.js';
import { openWalSync, type WalSync } from '../../src/queue/sqlite/wal-sync.js';
import { tempStateDir } from './helpers.js';

/**
 * The group commit's fsync off the main thread: a writer hears "done" only once the WAL holding
 * its transaction has been flushed to disk, and SQLite syncs in COMMIT for every other write of
 * the connection. A power cut cannot be made here; what the writers are told, and when, can.
 */

const dirs: string[] = [];
const dbs: Database[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
});

async function writerDb(): Promise<{ db: Database; dbPath: string }> {
  const dir = await tempStateDir();
  dirs.push(dir);
  const dbPath = path.join(dir, 'queue.db');
  const db = openConnection(dbPath);
  dbs.push(db);
  configureWriter(db);
  db.exec('CREATE TABLE t (v TEXT)');
  return { db, dbPath };
}

/** A WAL flush that the test finishes (or fails) by hand, counting the calls. */
function manualSync() {
  const calls: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const sync: WalSync = {
    sync: () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject })),
    close: () => {},
  };
  return { sync, calls };
}

const synchronous = (db: Database): number =>
  (db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
const count = (db: Database): number =>
  (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
const tick = () => new Promise((r) => setImmediate(r));

describe('group commit with the WAL flushed off the main thread', () => {
  it('tells writers "done" only after the flush that follows their commit', async () => {
    const { db } = await writerDb();
    const { sync, calls } = manualSync();
    const gc = makeGroupCommit(db, { walSync: sync });
    let done = 0;
    const a = gc.write(() => db.prepare('INSERT INTO t VALUES (?)').run('a')).then(() => done++);
    const b = gc.write(() => db.prepare('INSERT INTO t VALUES (?)').run('b')).then(() => done++);
    await tick();
    await tick();
    // Committed (one transaction) and flushing, but nobody told yet.
    expect(count(db)).toBe(2);
    expect(calls).toHaveLength(1);
    expect(done).toBe(0);
    // A batch committed while the flush runs waits for the next flush, which starts after it.
    const c = gc.write(() => db.prepare('INSERT INTO t VALUES (?)').run('c')).then(() => done++);
    await tick();
    await tick();
    expect(count(db)).toBe(3);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await Promise.all([a, b]);
    expect(done).toBe(2);
    await tick();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await c;
    expect(done).toBe(3);
    // Outside its batches the connection lets SQLite sync in COMMIT (2 = FULL).
    expect(synchronous(db)).toBe(2);
  });

  it('a failed flush fails the writers waiting for it with SQLITE_IOERR; later ones go on', async () => {
    const { db } = await writerDb();
    const { sync, calls } = manualSync();
    const gc = makeGroupCommit(db, { walSync: sync });
    const a = gc.write(() => 'a');
    await tick();
    await tick();
    calls[0]!.reject(
      Object.assign(new Error('could not flush'), { errcode: 1034 /* SQLITE_IOERR_FSYNC */ }),
    );
    const err = await a.catch((e: unknown) => e);
    expect(storageFailureName(err)).toBe('SQLITE_IOERR');
    const b = gc.write(() => 'b');
    await tick();
    await tick();
    calls[1]!.resolve();
    expect(await b).toBe('b');
  });

  it('flush() commits what is pending and waits until it is on disk', async () => {
    const { db } = await writerDb();
    const { sync, calls } = manualSync();
    const gc = makeGroupCommit(db, { walSync: sync });
    const a = gc.write(() => db.prepare('INSERT INTO t VALUES (?)').run('a'));
    let flushed = false;
    const f = gc.flush().then(() => (flushed = true));
    expect(count(db)).toBe(1);
    await tick();
    expect(flushed).toBe(false);
    calls[0]!.resolve();
    await f;
    await a;
    expect(flushed).toBe(true);
  });

  it("opens the real WAL of a writer's connection and flushes it; no WAL, no flush", async () => {
    const { db, dbPath } = await writerDb();
    const wal = openWalSync(`${dbPath}-wal`);
    expect(wal).toBeDefined();
    const gc = makeGroupCommit(db, { walSync: wal! });
    await gc.write(() => db.prepare('INSERT INTO t VALUES (?)').run('x'));
    await gc.flush();
    wal!.close();
    // Another connection sees the committed row.
    const ro = openConnection(dbPath, { readOnly: true });
    dbs.push(ro);
    expect(count(ro)).toBe(1);
    expect(openWalSync(`${dbPath}-missing-wal`)).toBeUndefined();
  });
});
