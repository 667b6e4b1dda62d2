import { lstat } from 'node:fs/promises';
import { ContentMissingError, UsageError } from '../errors/errors.js';
import { ITEM_STATES, type ItemMeta, type ItemState } from './item-meta.js';
import { isSafeId, type QueueLayout } from './queue-layout.js';
import type { Database } from './sqlite/driver.js';
import { isPlainObject } from '../platform/json-shape.js';

/** Where an item is: a queue state, or gone from the queue (then it is in the history). */
export type ItemWhere = ItemState | FinishedState;
/** How an item left the queue. */
export type FinishedState = 'delivered' | 'deleted';

/** An item found anywhere: in the queue, or in the history. */
export interface FoundItem {
  meta: ItemMeta;
  state: ItemWhere;
  /** When it left the queue (history only). */
  finishedAt?: string;
}

/** Throws a UsageError unless `id` is a well-formed ID or prefix (8-64 lowercase hex). */
export function checkId(id: string): void {
  if (!isSafeId(id))
    throw new UsageError(`not an item ID: ${JSON.stringify(String(id).slice(0, 80))}`);
}

/**
 * An ID or prefix as a person typed it, trimmed and lowercased; UsageError unless it is 8 to 64
 * hex characters (so it can never carry a path, a quote or anything else).
 */
export function idArg(prefixOrId: string): string {
  const p = String(prefixOrId).trim().toLowerCase();
  if (!isSafeId(p)) {
    throw new UsageError(
      `${JSON.stringify(String(prefixOrId).slice(0, 80))} is not an item ID: give at least 8 of its hex characters (0-9, a-f)`,
    );
  }
  return p;
}

const QUEUE_STATES_SQL = ITEM_STATES.map((s) => `'${s}'`).join(', ');

/**
 * The metadata of one row. `state` is the column's: it is what every query filters on, so if a
 * person edited the JSON by hand the column still wins (as the folder did in 0.1.0). A JSON that
 * does not parse keeps the item visible in `failed` with the reason, instead of failing a listing.
 */
export function metaOfRow(id: string, state: string | undefined, json: string): ItemMeta {
  try {
    const parsed: unknown = JSON.parse(json);
    // The store writes every row itself; only a hand-edited one is anything but an object.
    if (!isPlainObject(parsed)) throw new Error(`it is ${json.slice(0, 20)}`);
    if (!(parsed.attempts === undefined || Array.isArray(parsed.attempts)))
      throw new Error('"attempts" is not a list');
    const meta = parsed as unknown as ItemMeta;
    if (state !== undefined) meta.state = state as ItemState;
    meta.attempts ??= [];
    meta.groups ??= {};
    return meta;
  } catch (e) {
    const at = new Date(0).toISOString();
    return {
      version: 1,
      id,
      state: (state ?? 'failed') as ItemState,
      seq: 0,
      source: '(unknown: metadata was unreadable)',
      size: 0,
      firstSeenAt: at,
      claimedAt: at,
      updatedAt: at,
      attempts: [],
      groups: {},
      lastError: {
        code: 'CorruptMetadata',
        message: `the item's metadata in the database is not a JSON object (${(e as Error).message})`,
      },
    };
  }
}

/**
 * Read side of the store, on any connection: the daemon's, or a read-only one for `status`,
 * `show` and `history` (WAL lets them read while the daemon writes; they never change anything).
 */
export function makeReadOps(db: Database, layout: QueueLayout) {
  const byId = db.prepare('SELECT state, finished_at, meta FROM items WHERE id = ?');
  const inStates = (states: readonly ItemState[]) =>
    db.prepare(
      `SELECT id, state, meta FROM items WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY first_seen_at, id`,
    );
  const prefix = db.prepare(
    'SELECT id, finished_at FROM items WHERE id >= ? AND id < ? ORDER BY id LIMIT 6',
  );
  const contentOf = db.prepare('SELECT bytes FROM content WHERE id = ?');
  const counts = db.prepare(
    `SELECT state, count(*) AS n FROM items WHERE state IN (${QUEUE_STATES_SQL}) GROUP BY state`,
  );

  /** An item in the queue or the history, by full ID. */
  const find = (id: string): FoundItem | undefined => {
    checkId(id);
    const row = byId.get(id) as
      { state: string; finished_at: string | null; meta: string } | undefined;
    if (!row) return undefined;
    // A history row's JSON keeps the queue state the item was last in (for show's story).
    if (row.finished_at !== null) {
      const meta = metaOfRow(id, undefined, row.meta);
      return { meta, state: row.state as FinishedState, finishedAt: row.finished_at };
    }
    const meta = metaOfRow(id, row.state, row.meta);
    return { meta, state: meta.state };
  };

  /** An item in the queue by full ID; undefined once it left (see `find` for the history). */
  const get = async (id: string): Promise<ItemMeta | undefined> => {
    const f = find(id);
    return f && f.finishedAt === undefined ? f.meta : undefined;
  };

  const forEach = async (
    states: readonly ItemState[],
    visit: (meta: ItemMeta) => void,
  ): Promise<void> => {
    if (states.length === 0) return;
    for (const r of inStates(states).iterate(...states) as Iterable<{
      id: string;
      state: string;
      meta: string;
    }>) {
      visit(metaOfRow(r.id, r.state, r.meta));
    }
  };

  const firstIn = db.prepare(
    'SELECT id, state, meta FROM items WHERE state = ? ORDER BY first_seen_at, id LIMIT ?',
  );
  /** The `limit` oldest items in one state (`status` shows the first rows of a big queue). */
  const first = (state: ItemState, limit: number): ItemMeta[] =>
    (firstIn.all(state, limit) as { id: string; state: string; meta: string }[]).map((r) =>
      metaOfRow(r.id, r.state, r.meta),
    );

  /** Every item in the given states (default all), oldest first. */
  const list = async (states: readonly ItemState[] = ITEM_STATES): Promise<ItemMeta[]> => {
    const all: ItemMeta[] = [];
    await forEach(states, (m) => all.push(m));
    return all;
  };

  /**
   * A full ID from a unique prefix of at least 8 hex characters; UsageError otherwise. Items in
   * the history count only with `history: true` (show); for operator commands they are gone.
   */
  const resolveId = async (
    prefixOrId: string,
    opts: { history?: boolean } = {},
  ): Promise<string> => {
    const p = idArg(prefixOrId);
    // Hex IDs starting with p sort between p and p + 'g' (the next character after 'f').
    const rows = prefix.all(p, `${p}g`) as { id: string; finished_at: string | null }[];
    const queued = rows.filter((r) => r.finished_at === null);
    const candidates = opts.history ? rows : queued;
    if (candidates.length === 1) return candidates[0]!.id;
    if (candidates.length > 1) {
      const shown = candidates.slice(0, 5).map((r) => r.id.slice(0, Math.max(16, p.length + 4)));
      throw new UsageError(
        `ID prefix ${p} is ambiguous: it matches ${candidates.length > 5 ? 'more than 5' : candidates.length} items (${shown.join(', ')}${candidates.length > 5 ? ', …' : ''}); give more characters`,
      );
    }
    const gone = rows.find((r) => r.finished_at !== null);
    if (gone) {
      const row = byId.get(gone.id) as { state: string };
      throw new UsageError(
        `item ${p} was ${row.state} (${gone.finished_at}) and is no longer in the queue; "imspooler show ${p}" tells its story`,
      );
    }
    throw new UsageError(`no item with ID ${p} in the queue`);
  };

  const readContent = async (id: string): Promise<Buffer> => {
    checkId(id);
    const row = contentOf.get(id) as { bytes: Uint8Array } | undefined;
    if (row) return Buffer.from(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
    const entry = await lstat(layout.entryPath(id)).then(
      () => true,
      () => false,
    );
    throw new ContentMissingError(
      entry
        ? `item ${id} was quarantined without being read (not a regular file, or too large); its content is never read`
        : `the content of item ${id} is not in the queue database (delivered or deleted meanwhile, or lost before the upgrade from 0.1.0)`,
    );
  };

  const hasContentRow = db.prepare('SELECT 1 AS one FROM content WHERE id = ?');
  /** Whether the item's content is there to be delivered (an item without can never be, nor retried). */
  const hasContent = async (id: string): Promise<boolean> => {
    checkId(id);
    return hasContentRow.get(id) !== undefined;
  };

  const oldestRow = db.prepare(
    // `+state`: walk the first-seen index in order and stop at the first waiting item.
    `SELECT first_seen_at FROM items WHERE +state IN ('incoming', 'active', 'deferred')
     ORDER BY first_seen_at LIMIT 1`,
  );
  /** `firstSeenAt` of the oldest item waiting for delivery or being delivered (metrics, /healthz). */
  const oldestWaiting = (): string | undefined =>
    (oldestRow.get() as { first_seen_at: string } | undefined)?.first_seen_at;

  /** Number of items per queue state: one indexed query. */
  const stats = async (): Promise<Record<ItemState, number>> => {
    const out = Object.fromEntries(ITEM_STATES.map((s) => [s, 0])) as Record<ItemState, number>;
    for (const r of counts.all() as { state: ItemState; n: number }[]) out[r.state] = r.n;
    return out;
  };

  return {
    find,
    get,
    list,
    forEach,
    first,
    resolveId,
    readContent,
    hasContent,
    stats,
    oldestWaiting,
  };
}

/** The read operations, as `status`, `show` and `history` use them. */
export type QueueReadOps = ReturnType<typeof makeReadOps>;
