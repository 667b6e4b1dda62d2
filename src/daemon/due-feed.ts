import type { DueCursor, WaitingRow } from '../queue/queue-store.js';

/** What {@link makeDueFeed} needs of the scheduler. */
export interface FeedScheduler {
  isScheduled(id: string): boolean;
  isRunning(id: string): boolean;
  /** How many items wait in the scheduler (not running). */
  waiting(): number;
  /** When the earliest waiting item is due (ms since epoch); undefined when none waits. */
  nextDueAt(): number | undefined;
}

/** Options of {@link makeDueFeed}. */
export interface DueFeedOptions {
  /** The store's `waitingPage`: waiting items in due order, after a cursor. */
  page: (after: DueCursor | undefined, limit: number) => WaitingRow[];
  scheduler: FeedScheduler;
  /** Schedules one item read from the queue (an item without a due time is due now). */
  schedule: (row: WaitingRow) => void;
  now: () => number;
  /** Items read per page. */
  pageSize?: number;
  /** Another page is read when fewer than this many wait in the scheduler. */
  low?: number;
}

/** Hands the scheduler the queue's waiting items a page at a time (see {@link makeDueFeed}). */
export interface DueFeed {
  /** Reads pages until the scheduler holds enough, or everything is read. Cheap when it does. */
  topUp(): void;
  /** Every waiting item has been handed over; from now on items are scheduled as they come. */
  done(): boolean;
}

/**
 * Feeds the scheduler from the queue database by due time, so the daemon holds O(pageSize +
 * items in flight) IDs rather than every waiting one (100,000 queued items took ~40 MB of heap
 * and ~0.3 s of start-up as a whole heap).
 *
 * The invariant: every waiting item whose (due, id) is at or before the cursor is scheduled,
 * running, or was handed over and has since been dealt with (delivered, deferred and scheduled
 * again by the worker, held, deleted: each of those schedules or unschedules it itself). Items
 * after the cursor are only in the database; they are read before any of them can be due
 * earlier than what the scheduler holds (`frontierAt < nextDueAt`), or when it runs low.
 * Everything scheduled from elsewhere (intake, the worker, operator requests) goes straight to
 * the scheduler at any time, as before; a page never moves an item already scheduled or running.
 */
export function makeDueFeed(o: DueFeedOptions): DueFeed {
  const pageSize = o.pageSize ?? 1024;
  const low = o.low ?? 256;
  let cursor: DueCursor | undefined;
  /** Due time (ms) of the cursor: the last item read; -Infinity before the first page. */
  let frontierAt = -Infinity;
  let finished = false;
  return {
    topUp() {
      const s = o.scheduler;
      while (!finished && (s.waiting() < low || frontierAt < (s.nextDueAt() ?? Infinity))) {
        const rows = o.page(cursor, pageSize);
        const loadedAt = o.now();
        for (const r of rows) {
          if (!s.isScheduled(r.id) && !s.isRunning(r.id)) o.schedule(r);
        }
        const last = rows.at(-1);
        if (last) {
          cursor = last.cursor;
          // An item without a due time was scheduled for now: that is where the frontier is.
          frontierAt = last.nextAttemptAt ? Date.parse(last.nextAttemptAt) : loadedAt;
        }
        if (rows.length < pageSize) finished = true;
      }
    },
    done: () => finished,
  };
}
