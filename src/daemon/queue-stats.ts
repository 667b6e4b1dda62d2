import { every, type Clock } from '../clock.js';
import type { ItemState } from '../queue/item-meta.js';
import type { DaemonObserver } from './daemon-observer.js';

/** How often the counts are published without a scrape, so /healthz's oldest item stays current. */
const STATS_PUBLISH_MS = 15_000;

/** Where the counts come from. */
export interface QueueStatsDeps {
  observer: DaemonObserver;
  clock: Clock;
  /** Items by state, from the queue database. */
  stats(): Promise<Record<ItemState, number>>;
  /** Files in their grace period. */
  graceCount(): number;
  /** firstSeenAt (ms) of the oldest item waiting for delivery. */
  oldestWaiting(): number | undefined;
}

/**
 * Tells the observer the queue's counts now (`known`: the ones start-up already read), hands it
 * the way to read them at a scrape, and publishes them every 15 s. Returns what stops that.
 */
export async function publishQueueStats(
  d: QueueStatsDeps,
  known: Record<ItemState, number>,
): Promise<() => void> {
  const read = async (counts?: Record<ItemState, number>) => {
    const oldest = d.oldestWaiting();
    const stats = { ...(counts ?? (await d.stats())), grace: d.graceCount() };
    return { stats, oldestFirstSeenAt: oldest };
  };
  const publish = async (counts?: Record<ItemState, number>) => {
    const r = await read(counts);
    d.observer.queue(r.stats, r.oldestFirstSeenAt);
  };
  await publish(known);
  // Scrapes read the queue themselves; the timer keeps /healthz's oldest item current.
  d.observer.queueSource?.(() => read());
  return every(d.clock, STATS_PUBLISH_MS, () => void publish().catch(() => {}));
}
