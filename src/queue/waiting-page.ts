import type { StatementSync } from 'node:sqlite';
import type { Database } from './sqlite/driver.js';

/** Where a page of waiting items ended: the next page starts after it (see {@link makeWaitingPage}). */
export interface DueCursor {
  /** `next_attempt_at` as stored; '' for an item due at once (none set). */
  due: string;
  id: string;
}

/** An item waiting for delivery, as a page gives it: enough to schedule it. */
export interface WaitingRow {
  id: string;
  state: 'incoming' | 'deferred';
  nextAttemptAt?: string;
  firstSeenAt: string;
  /** Pass as `after` to read the page that follows. */
  cursor: DueCursor;
}

type Row = {
  id: string;
  state: 'incoming' | 'deferred';
  first_seen_at: string;
  next_attempt_at: string | null;
};

/**
 * Reads the items waiting for delivery (incoming, deferred) a page at a time, in due order (an
 * item without a due time first), so that the daemon never holds the whole queue
 * (daemon/due-feed.ts): range seeks of the partial index `items_waiting_by_due`. Two queries,
 * because SQLite scans rather than seeks an expression index for a row-value `>`. The statements
 * are prepared on first use and belong to `db`'s connection.
 */
export function makeWaitingPage(
  db: Database,
): (after: DueCursor | undefined, limit: number) => WaitingRow[] {
  let stmts: { sameDue: StatementSync; laterDue: StatementSync } | undefined;
  return (after, limit) => {
    const cols = 'id, state, first_seen_at, next_attempt_at';
    const waiting = `items INDEXED BY items_waiting_by_due WHERE state IN ('incoming', 'deferred')`;
    stmts ??= {
      sameDue: db.prepare(
        `SELECT ${cols} FROM ${waiting} AND ifnull(next_attempt_at, '') = ? AND id > ? ORDER BY id LIMIT ?`,
      ),
      laterDue: db.prepare(
        `SELECT ${cols} FROM ${waiting} AND ifnull(next_attempt_at, '') > ? ORDER BY ifnull(next_attempt_at, ''), id LIMIT ?`,
      ),
    };
    const due = after?.due ?? '';
    const rows = stmts.sameDue.all(due, after?.id ?? '', limit) as Row[];
    if (rows.length < limit) rows.push(...(stmts.laterDue.all(due, limit - rows.length) as Row[]));
    return rows.map((r) => {
      const w: WaitingRow = {
        id: r.id,
        state: r.state,
        firstSeenAt: r.first_seen_at,
        cursor: { due: r.next_attempt_at ?? '', id: r.id },
      };
      if (r.next_attempt_at) w.nextAttemptAt = r.next_attempt_at;
      return w;
    });
  };
}
