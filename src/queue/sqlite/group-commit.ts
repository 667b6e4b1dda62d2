import { rollbackQuietly, type Database } from './driver.js';
import type { WalSync } from './wal-sync.js';

/** Runs writes in shared transactions; see {@link makeGroupCommit}. */
export interface GroupCommit {
  /**
   * Runs `fn` (synchronous SQL) inside the next shared transaction and resolves with its result
   * once that transaction is committed, that is durable on disk. Rejects when `fn` throws (its
   * changes alone are rolled back) or the commit fails (SQLITE_FULL, SQLITE_IOERR: nothing of
   * the batch is kept), or the WAL cannot be flushed to disk afterwards (SQLITE_IOERR_FSYNC:
   * the batch is in the database but may not survive a power cut; every write of the queue is
   * one that its caller may repeat).
   */
  write<T>(fn: () => T): Promise<T>;
  /** Commits what is pending now and waits until every commit is durable (at close). */
  flush(): Promise<void>;
}

interface Pending {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** A committed batch whose writers are told once the WAL is on disk. */
interface Committed {
  batch: Pending[];
  results: { ok: boolean; value: unknown }[];
}

/**
 * Group commit. Every commit must be durable before its writers hear "done", which costs an
 * fsync (milliseconds on a real disk, tens of them on a busy one), so writes asked for in the
 * same turn of the event loop (items in flight whose answers came in together, a burst of
 * admissions) share one `BEGIN IMMEDIATE … COMMIT`: a burst costs a few fsyncs, not one or more
 * per item. Each write is its own savepoint, so one that throws leaves the others' changes in.
 * Nobody is told "done" before the commit that holds their change is on disk.
 *
 * With `walSync`, the fsync is taken off the main thread: the transaction commits with
 * `synchronous=NORMAL` (SQLite appends to the WAL without syncing it, which in WAL mode can lose
 * the last commits at a power cut but never corrupts the database), then `walSync` fdatasyncs the
 * WAL on the thread pool, and only then are the writers told. Meanwhile the daemon goes on
 * working and the next batches commit; they share the next fdatasync. Without `walSync` (or for
 * every other write of the connection) SQLite syncs inside COMMIT (`synchronous=FULL`), which
 * blocked the event loop for 1 ms typically and 40 ms at the 99th percentile on the bench
 * machine.
 */
export function makeGroupCommit(
  db: Database,
  opts: {
    /** Called after each commit with the number of writes it held (metrics, tests). */
    onCommit?: (writes: number) => void;
    /** Test seam: throws to simulate a failing commit (an I/O error at fsync time). */
    beforeCommit?: () => void;
    /** Flushes the connection's WAL to disk off the main thread (see above). */
    walSync?: WalSync;
  } = {},
): GroupCommit {
  const walSync = opts.walSync;
  let pending: Pending[] = [];
  let scheduled = false;
  /** Committed, waiting for the next fdatasync. */
  let unsynced: Committed[] = [];
  /** The fdatasync under way, if any. */
  let syncing: Promise<void> | undefined;

  const settle = ({ batch, results }: Committed): void => {
    batch.forEach((op, i) => {
      const r = results[i]!;
      if (r.ok) op.resolve(r.value);
      else op.reject(r.value);
    });
  };

  const startSync = (sync: WalSync): void => {
    if (syncing || unsynced.length === 0) return;
    const group = unsynced;
    unsynced = [];
    syncing = sync.sync().then(
      () => group.forEach(settle),
      (e: unknown) => {
        for (const c of group) for (const op of c.batch) op.reject(e);
      },
    );
    void syncing.finally(() => {
      syncing = undefined;
      startSync(sync);
    });
  };

  /** The connection's own setting outside the batches: SQLite syncs in COMMIT. */
  const syncInCommit = (): void => {
    if (walSync) db.exec('PRAGMA synchronous = FULL');
  };

  const run = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      if (walSync) db.exec('PRAGMA synchronous = NORMAL');
      db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      syncInCommitQuietly();
      for (const op of batch) op.reject(e);
      return;
    }
    try {
      for (const op of batch) {
        db.exec('SAVEPOINT w');
        try {
          results.push({ ok: true, value: op.fn() });
          db.exec('RELEASE w');
        } catch (e) {
          db.exec('ROLLBACK TO w');
          db.exec('RELEASE w');
          results.push({ ok: false, value: e });
        }
      }
      opts.beforeCommit?.();
      db.exec('COMMIT');
    } catch (e) {
      // The commit (or a savepoint statement) failed: none of the batch is on disk.
      rollbackQuietly(db);
      syncInCommitQuietly();
      for (const op of batch) op.reject(e);
      return;
    }
    syncInCommitQuietly();
    opts.onCommit?.(batch.length);
    if (!walSync) {
      settle({ batch, results });
      return;
    }
    unsynced.push({ batch, results });
    startSync(walSync);
  };

  function syncInCommitQuietly(): void {
    try {
      syncInCommit();
    } catch {
      // Only fails inside a transaction, which every path above has ended.
    }
  }

  return {
    write<T>(fn: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          // After the I/O callbacks of this turn: everything they asked for joins this commit.
          setImmediate(run);
        }
      });
    },
    flush: async () => {
      run();
      while (syncing) await syncing;
    },
  };
}
