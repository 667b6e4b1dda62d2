import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { queryHistory, type HistoryEntry, type HistoryQuery } from './history-query.js';
import { queueLayout } from './queue-layout.js';
import { makeReadOps, type QueueReadOps } from './queue-read.js';
import { openConnection } from './sqlite/driver.js';

/** A read-only view of the queue and its history, for `status`, `show` and `history`. */
export interface QueueReader extends QueueReadOps {
  history(q: HistoryQuery): HistoryEntry[];
  close(): void;
}

/** What is in a state folder, seen without opening anything for writing. */
export type QueueFound =
  | { kind: 'database'; reader: QueueReader }
  /** No database yet: a fresh state folder, or one the daemon never started on. */
  | { kind: 'none'; legacy: boolean };

/**
 * Opens the queue database read-only. It can never change the database (SQLite refuses every
 * write on such a connection), and WAL lets it read while the daemon writes. A state folder
 * without a database creates nothing: the answer is an empty queue, and `legacy` says whether a
 * file queue of 0.1.0 waits there for the daemon to import it.
 */
export function openQueueReader(stateDir: string): QueueFound {
  const layout = queueLayout(resolve(stateDir));
  if (!existsSync(layout.dbPath)) {
    return { kind: 'none', legacy: existsSync(join(layout.root, 'queue')) };
  }
  const db = openConnection(layout.dbPath, { readOnly: true });
  try {
    const has = db
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'items'")
      .get() as { n: number };
    // Created a moment ago by a daemon that has not written its schema yet.
    if (has.n === 0) {
      db.close();
      return { kind: 'none', legacy: false };
    }
  } catch (e) {
    db.close();
    throw e;
  }
  const read = makeReadOps(db, layout);
  return {
    kind: 'database',
    reader: { ...read, history: (q) => queryHistory(db, q), close: () => db.close() },
  };
}
