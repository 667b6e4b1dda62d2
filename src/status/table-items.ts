import type { ItemState } from '../queue/item-meta.js';
import type { QueueReadOps } from '../queue/queue-read.js';
import {
  publicState,
  toStatusItem,
  type FilterState,
  type StatusDoc,
  type StatusItem,
} from './status-doc.js';

/** Rows the `status` table shows by default: a person reads a screenful, not 100,000 lines. */
export const TABLE_ROWS = 50;

/** Queue states in the order the table lists them (status-doc.ts sorts the same way). */
const TABLE_ORDER: readonly ItemState[] = [
  'active',
  'incoming',
  'deferred',
  'held',
  'failed',
  'quarantined',
];

/** The first rows of the table, the counts of the whole queue, and how many rows were left out. */
export interface TableItems {
  items: StatusItem[];
  counts: Omit<StatusDoc['counts'], 'grace'>;
  /** Items in the (filtered) queue that are not in `items`. */
  omitted: number;
}

/**
 * Reads what the `status` table shows of a big queue without reading the queue: the counts (one
 * indexed query) and the first `limit` items in the table's order (state, then oldest first),
 * each state's read by an indexed query that stops at `limit`. `status --json` and
 * `status --all` still read every item.
 */
export async function readTableItems(
  reader: Pick<QueueReadOps, 'stats' | 'first'>,
  states: readonly FilterState[] | undefined,
  limit: number = TABLE_ROWS,
): Promise<TableItems> {
  const byState = await reader.stats();
  const counts = {
    queued: byState.incoming,
    active: byState.active,
    deferred: byState.deferred,
    held: byState.held,
    failed: byState.failed,
    quarantined: byState.quarantined,
  };
  const items: StatusItem[] = [];
  let total = 0;
  for (const state of TABLE_ORDER) {
    const shown = publicState(state);
    if (states && !states.includes(shown)) continue;
    total += counts[shown];
    const room = limit - items.length;
    if (room > 0 && counts[shown] > 0) {
      for (const m of reader.first(state, room)) items.push(toStatusItem(m));
    }
  }
  return { items, counts, omitted: Math.max(0, total - items.length) };
}
