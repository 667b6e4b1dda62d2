import type { StartupItem } from '../queue/queue-store.js';

/** What start-up keeps of an item waiting for delivery: enough to schedule it, nothing more. */
export interface WaitingItem {
  id: string;
  state: 'incoming' | 'deferred';
  nextAttemptAt?: string;
  firstSeenAt?: string;
}

/** Filled by {@link collectStartupItems} while the queue is recovered. */
export interface StartupItems {
  /** IDs of items the policy held, to release if the policy now allows sending. */
  heldByPolicy: string[];
  /** For `store.open({ onItem })`: sees every held item once, keeps the IDs of some. */
  onItem(item: StartupItem): void;
}

/**
 * Keeps, of the held items queue recovery reads anyway, the IDs of those the policy held. Items
 * waiting for delivery are not collected here: the scheduler is fed a page at a time from the
 * database (due-feed.ts), so 100,000 queued items are never all held in memory.
 */
export function collectStartupItems(): StartupItems {
  const heldByPolicy: string[] = [];
  return {
    heldByPolicy,
    onItem(m) {
      if (m.state === 'held' && m.heldBy === 'policy') heldByPolicy.push(m.id);
    },
  };
}
