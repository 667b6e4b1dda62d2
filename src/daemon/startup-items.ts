import type { StartupItem } from '../queue/queue-store.js';

/** What start-up keeps of an item waiting for delivery: enough to schedule it, nothing more. */
export interface WaitingItem {
  id: string;
  state: 'incoming' | 'deferred';
  nextAttemptAt?: string;
  /** Only kept when the metrics want the oldest waiting item. */
  firstSeenAt?: string;
}

/** Filled by {@link collectStartupItems} while the queue is recovered. */
export interface StartupItems {
  /** Items to schedule (incoming, deferred). The daemon empties it as it schedules them. */
  waiting: WaitingItem[];
  /** IDs of items the policy held, to release if the policy now allows sending. */
  heldByPolicy: string[];
  /** For `store.open({ onItem })`: sees every waiting or held item once, keeps a few strings of some. */
  onItem(item: StartupItem): void;
}

/**
 * Keeps, of the items queue recovery reads anyway, what the daemon needs to start, so it does not
 * read the whole queue again. Holding every ItemMeta of 100,000 queued items took over 600 MB;
 * the scheduler's heap needs an ID and a due time.
 */
export function collectStartupItems(opts: { keepFirstSeen: boolean }): StartupItems {
  const waiting: WaitingItem[] = [];
  const heldByPolicy: string[] = [];
  return {
    waiting,
    heldByPolicy,
    onItem(m) {
      if (m.state === 'incoming' || m.state === 'deferred') {
        const w: WaitingItem = { id: m.id, state: m.state };
        if (m.nextAttemptAt) w.nextAttemptAt = m.nextAttemptAt;
        if (opts.keepFirstSeen) w.firstSeenAt = m.firstSeenAt;
        waiting.push(w);
      } else if (m.state === 'held' && m.heldBy === 'policy') heldByPolicy.push(m.id);
    },
  };
}
