import { rollbackQuietly, type Database } from './driver.js';

/** Runs writes in shared transactions; see {@link makeGroupCommit}. */
export interface GroupCommit {
  /**
   * Runs `fn` (synchronous SQL) inside the next shared transaction and resolves with its result
   * once that transaction is committed, that is durable on disk. Rejects when `fn` throws (its
   * changes alone are rolled back) or the commit fails (SQLITE_FULL, SQLITE_IOERR: nothing of
   * the batch is kept).
   */
  write<T>(fn: () => T): Promise<T>;
  /** Commits what is pending now (at close). */
  flush(): void;
}

interface Pending {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit. With `synchronous=FULL` every commit costs an fsync (milliseconds on a real
 * disk), so writes asked for in the same turn of the event loop (items in flight whose answers
 * came in together, a burst of admissions) share one `BEGIN IMMEDIATE … COMMIT`: a burst costs a
 * few fsyncs, not one or more per item. Each write is its own savepoint, so one that throws
 * leaves the others' changes in. Nobody is told "done" before the commit that holds their change.
 */
export function makeGroupCommit(
  db: Database,
  opts: {
    /** Called after each commit with the number of writes it held (metrics, tests). */
    onCommit?: (writes: number) => void;
    /** Test seam: throws to simulate a failing commit (an I/O error at fsync time). */
    beforeCommit?: () => void;
  } = {},
): GroupCommit {
  let pending: Pending[] = [];
  let scheduled = false;

  const run = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (e) {
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
      for (const op of batch) op.reject(e);
      return;
    }
    opts.onCommit?.(batch.length);
    batch.forEach((op, i) => {
      const r = results[i]!;
      if (r.ok) op.resolve(r.value);
      else op.reject(r.value);
    });
  };

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
    flush: run,
  };
}
