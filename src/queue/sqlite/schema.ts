import type { ItemMeta } from '../item-meta.js';
import type { Database } from './driver.js';

/**
 * The database schema. One row per item in `items`, queued or gone: `state` is a queue state
 * (`incoming` … `quarantined`) while the item is in the queue, `delivered` or `deleted` once it
 * left (then `finished_at` is set and its content is gone). The metadata a person sees (`show`)
 * is the JSON in `meta`; the other columns repeat what queries filter on, so no query parses JSON.
 * Content is in a table of its own: listing items never pages through message bytes.
 * `items_waiting_by_due` lets the daemon read waiting items a page at a time in due order (an item
 * without `next_attempt_at` is due at once, so it sorts first), instead of holding all of them.
 */
export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS items (
  id            TEXT PRIMARY KEY NOT NULL,
  state         TEXT NOT NULL,
  first_seen_at TEXT NOT NULL,
  finished_at   TEXT,
  from_addr     TEXT,
  rcpt_addrs    TEXT,
  next_attempt_at TEXT,
  meta          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_state ON items (state);
CREATE INDEX IF NOT EXISTS items_by_first_seen ON items (first_seen_at);
CREATE INDEX IF NOT EXISTS items_by_finished ON items (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_waiting_by_due ON items (ifnull(next_attempt_at, ''), id)
  WHERE state IN ('incoming', 'deferred');
CREATE TABLE IF NOT EXISTS content (
  id    TEXT PRIMARY KEY NOT NULL,
  bytes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS store_info (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
`;

/**
 * Settings of the daemon's connection. WAL lets `status`, `show` and `history` read while the
 * daemon writes. `synchronous=FULL`: in WAL mode every commit is fsynced, so a transaction the
 * daemon has been told is committed survives the PC being switched off at the wall (NORMAL could
 * lose the last commits, and a lost `sending` mark could mean a message sent twice).
 */
export function configureWriter(db: Database): void {
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  // The WAL is folded back into the database every ~4 MB (the default 1000 pages).
  db.exec('PRAGMA wal_autocheckpoint = 1000');
  db.exec('PRAGMA foreign_keys = OFF');
  db.exec(DDL);
  const v = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (v > SCHEMA_VERSION) {
    throw new Error(
      `the queue database was written by a newer imspooler (schema ${v}, this version knows ${SCHEMA_VERSION}); upgrade imspooler, or move ${'queue.db'} aside`,
    );
  }
  if (v < SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
}

/** Addresses as history searches them: lowercase, each between newlines (exact match by instr). */
export function addressKey(addrs: readonly string[]): string {
  return `\n${addrs.map((a) => a.toLowerCase()).join('\n')}\n`;
}

/** The column values of one item row, from its metadata. */
export function rowOf(
  meta: ItemMeta,
  state: string = meta.state,
  finishedAt: string | null = null,
): {
  id: string;
  state: string;
  first_seen_at: string;
  finished_at: string | null;
  from_addr: string | null;
  rcpt_addrs: string | null;
  next_attempt_at: string | null;
  meta: string;
} {
  const env = meta.envelope;
  return {
    id: meta.id,
    state,
    first_seen_at: meta.firstSeenAt,
    finished_at: finishedAt,
    from_addr: env?.from ? env.from.toLowerCase() : null,
    rcpt_addrs: env ? addressKey([...env.to, ...env.cc]) : null,
    next_attempt_at: meta.nextAttemptAt ?? null,
    meta: JSON.stringify(meta),
  };
}

/** Statements used on every write, prepared once per connection. */
export function prepareWrites(db: Database) {
  return {
    upsert: db.prepare(
      `INSERT INTO items (id, state, first_seen_at, finished_at, from_addr, rcpt_addrs, next_attempt_at, meta)
       VALUES (:id, :state, :first_seen_at, :finished_at, :from_addr, :rcpt_addrs, :next_attempt_at, :meta)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, first_seen_at = excluded.first_seen_at,
         finished_at = excluded.finished_at, from_addr = excluded.from_addr,
         rcpt_addrs = excluded.rcpt_addrs, next_attempt_at = excluded.next_attempt_at,
         meta = excluded.meta`,
    ),
    putContent: db.prepare('INSERT OR REPLACE INTO content (id, bytes) VALUES (?, ?)'),
    dropContent: db.prepare('DELETE FROM content WHERE id = ?'),
  };
}

/** The statements of {@link prepareWrites}. */
export type WriteStatements = ReturnType<typeof prepareWrites>;
