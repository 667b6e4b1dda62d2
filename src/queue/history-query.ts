import type { ItemState } from './item-meta.js';
import { metaOfRow, type FinishedState } from './queue-read.js';
import type { Database } from './sqlite/driver.js';

/** What `imspooler history` searches for; every field narrows the result. */
export interface HistoryQuery {
  /** The sender, exactly (case-insensitive). */
  from?: string;
  /** A recipient in To or Cc, exactly (case-insensitive). */
  to?: string;
  /** Only items first seen at or after this instant (ISO 8601). */
  sinceIso?: string;
  /** At most this many, newest first. */
  limit: number;
}

/** One item of `history`: still queued, or gone from the queue. */
export interface HistoryEntry {
  id: string;
  state: ItemState | FinishedState;
  from?: string;
  to: string[];
  cc: string[];
  firstSeenAt: string;
  /** Set once the item left the queue. */
  finishedAt?: string;
  attempts: number;
  source: string;
}

/** A `sip:` prefix is stripped as the spool formats strip it, so either form finds the item. */
const addressArg = (a: string): string => a.trim().replace(/^sip:/i, '').toLowerCase();

/**
 * Items in the queue and in the history, newest first (by when they were first seen), narrowed
 * by sender, recipient and time. One indexed query; only the rows returned are parsed.
 */
export function queryHistory(db: Database, q: HistoryQuery): HistoryEntry[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.from !== undefined) {
    where.push('from_addr = ?');
    args.push(addressArg(q.from));
  }
  if (q.to !== undefined) {
    where.push('instr(rcpt_addrs, ?) > 0');
    args.push(`\n${addressArg(q.to)}\n`);
  }
  if (q.sinceIso !== undefined) {
    where.push('first_seen_at >= ?');
    args.push(q.sinceIso);
  }
  args.push(q.limit);
  const rows = db
    .prepare(
      `SELECT id, state, finished_at, meta FROM items ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY first_seen_at DESC, id DESC LIMIT ?`,
    )
    .all(...args) as { id: string; state: string; finished_at: string | null; meta: string }[];
  return rows.map((r) => {
    const m = metaOfRow(r.id, r.finished_at === null ? r.state : undefined, r.meta);
    const e: HistoryEntry = {
      id: r.id,
      state: r.state as HistoryEntry['state'],
      to: m.envelope?.to ?? [],
      cc: m.envelope?.cc ?? [],
      firstSeenAt: m.firstSeenAt,
      attempts: m.attempts.length,
      source: m.source,
    };
    if (m.envelope?.from) e.from = m.envelope.from;
    if (r.finished_at !== null) e.finishedAt = r.finished_at;
    return e;
  });
}
