import { basename } from 'node:path';
import { emailOf, type EventLog } from '../log/event-log.js';
import type { ItemMeta } from '../queue/item-meta.js';
import type { RecoveryReport } from '../queue/queue-recovery.js';
import type { DueCursor, WaitingRow } from '../queue/queue-store.js';
import { makeDueFeed, type DueFeed, type FeedScheduler } from './due-feed.js';
import type { StartupItems, WaitingItem } from './startup-items.js';

/** What {@link resumeQueue} needs of the daemon's parts. */
export interface ResumeDeps {
  recovery: Pick<RecoveryReport, 'claimed'>;
  startup: Pick<StartupItems, 'heldByPolicy'>;
  store: {
    get(id: string): Promise<ItemMeta | undefined>;
    save(meta: ItemMeta, toState?: ItemMeta['state']): Promise<ItemMeta>;
    waitingPage(after: DueCursor | undefined, limit: number): WaitingRow[];
  };
  scheduler: FeedScheduler;
  now: () => number;
  admitClaimed(claimedPath: string, source: string, firstSeenAt: string): Promise<void>;
  /** Why the policy holds every item now, or undefined when it allows sending. */
  policyHold: () => string | undefined;
  schedule(item: WaitingItem | ItemMeta): void;
  log: EventLog;
  iso: () => string;
}

/**
 * Picks up where the last run stopped, before new spool files are taken in: files claimed but not
 * admitted (a crash in between), items the policy held if it now allows sending, then every item
 * waiting for delivery, through a feed that hands the scheduler the queue a page at a time (the
 * daemon calls its `topUp` once started, then as items finish).
 */
export async function resumeQueue(d: ResumeDeps): Promise<DueFeed> {
  for (const claimed of d.recovery.claimed) {
    await d
      .admitClaimed(claimed, `(recovered) ${basename(claimed)}`, d.iso())
      .catch((e: unknown) =>
        d.log.diag('error', `could not re-admit ${claimed}: ${(e as Error).message}`),
      );
  }
  if (!d.policyHold()) {
    // The policy allows sending again: what it held goes back into the queue.
    for (const id of d.startup.heldByPolicy.splice(0)) {
      const m = await d.store.get(id);
      if (m?.state !== 'held' || m.heldBy !== 'policy') continue;
      delete m.heldReason;
      delete m.heldBy;
      m.nextAttemptAt = d.iso();
      const released = await d.store.save(m, 'incoming');
      d.log.event(
        'item.released',
        'success',
        'released: the policy allows offline messages again',
        {
          itemId: m.id,
          filePath: m.source,
          ...emailOf(m.envelope),
          extra: { released_by: 'policy' },
        },
      );
      d.schedule(released);
    }
  }
  const feed = makeDueFeed({
    page: (after, limit) => d.store.waitingPage(after, limit),
    scheduler: d.scheduler,
    schedule: (r) => d.schedule(r),
    now: d.now,
  });
  // Not read yet: the daemon tops it up once it has said it started (see daemon.ts), so start-up
  // is not spent loading the transport and delivering the first items.
  return feed;
}
