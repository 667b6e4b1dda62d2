import type { Clock } from '../clock.js';
import type { Config } from '../config/config-types.js';
import { deliveryGroups } from '../delivery/recipients.js';
import type { Transport } from '../delivery/transport.js';
import type { EventLog } from '../log/event-log.js';
import type { QueueStore } from '../queue/queue-store.js';
import { parseSpoolItem } from '../item/parse-item.js';
import { renderTranscriptHtml, subjectFor } from '../item/render-transcript.js';
import { makeControlGate, type ControlGate } from '../control/control-gate.js';
import type { FeedScheduler } from './due-feed.js';
import { applyOutcome, type OutcomeTarget } from './item-outcome.js';
import { makeItemWorker } from './item-worker.js';
import { policyHoldReason } from './policy.js';
import { makeScheduler } from './scheduler.js';

/** What the delivery loop is built from. */
export interface DeliveryLoopDeps {
  config: Pick<Config, 'delivery' | 'retry' | 'spool' | 'organization' | 'policy'>;
  store: QueueStore;
  /** The lazy transport (lazy-transport.ts): opened before an attempt when it is not yet. */
  transport: Transport & { isOpen(): boolean; open(): Promise<void> };
  log: EventLog;
  clock: Clock;
  /** Told of every server back-off (metrics, /healthz). */
  onServerBackoff?: (until: number) => void;
  /**
   * Called when an item leaves the schedule (its attempt ended, or it was unscheduled), so the
   * due feed (due-feed.ts) can hand over more of the queue.
   */
  onRoom?: () => void;
}

/** An item as far as scheduling goes: the queue's metadata, or what start-up kept of it. */
export interface SchedulableItem {
  id: string;
  state: string;
  nextAttemptAt?: string;
  firstSeenAt?: string;
}

/** The running part of the daemon: items waiting, the scheduler, the worker, operator requests. */
export interface DeliveryLoop {
  /** Puts an item waiting for delivery (incoming, deferred) in the schedule; others are ignored. */
  schedule(item: SchedulableItem): void;
  /** Operator requests and delivery attempts never touch one item at once (control-gate.ts). */
  gate: ControlGate;
  /** What the due feed reads of the scheduler (due-feed.ts). */
  waiting: FeedScheduler;
  /** Starts nothing more; aborts the attempts in flight after `abortAfterMs`. */
  stop(abortAfterMs: number): Promise<{ abandoned: number }>;
}

/**
 * The scheduler runs the worker for each item due; the worker answers with the item's outcome and
 * {@link applyOutcome} hands it to the scheduler, so data goes one way: scheduler → worker →
 * outcome → scheduler. The scheduler comes first; the worker reads its server pause.
 */
export function makeDeliveryLoop(d: DeliveryLoopDeps): DeliveryLoop {
  const { config, store, transport, log, clock } = d;
  const scheduler = makeScheduler({
    clock,
    concurrency: config.delivery.concurrency,
    run: (id, signal) => attempt(id, signal),
    onError: (id, error) =>
      log.diag(
        'error',
        `internal error while delivering ${id}: ${error instanceof Error ? error.message : String(error)}`,
      ),
  });
  const target: OutcomeTarget = {
    scheduler,
    log,
    ...(d.onServerBackoff ? { onServerBackoff: d.onServerBackoff } : {}),
  };
  const worker = makeItemWorker({
    store,
    transport,
    log,
    clock,
    pausedUntil: () => scheduler.pausedUntil(),
    parse: (bytes) => parseSpoolItem(bytes, { maxBytes: config.spool.maxBytes }),
    groupRecipients: (item) => deliveryGroups(item, config.organization.domains),
    render: (item) => ({ subject: subjectFor(item), html: renderTranscriptHtml(item) }),
    retry: config.retry,
    policyHold: () => policyHoldReason(config.policy),
  });

  const schedule = (m: SchedulableItem) => {
    if (m.state !== 'incoming' && m.state !== 'deferred') return;
    scheduler.schedule(m.id, m.nextAttemptAt ? Date.parse(m.nextAttemptAt) : clock.now());
  };

  const gate = makeControlGate({
    reschedule: async (id) => {
      const m = await store.get(id).catch(() => undefined);
      if (m && (m.state === 'incoming' || m.state === 'deferred')) schedule(m);
      else {
        scheduler.unschedule(id);
        d.onRoom?.();
      }
    },
  });

  async function attempt(id: string, signal: AbortSignal): Promise<void> {
    // An operator's request holds the item; it reschedules the item when done.
    if (!gate.beginAttempt(id)) return;
    try {
      // Opened (the first time, or again after it failed to) before the attempt's clock starts.
      if (!transport.isOpen()) await transport.open();
      // Applied before the gate lets an operator's request in, which reschedules from disk.
      applyOutcome(target, id, await worker(id, signal));
    } finally {
      gate.endAttempt(id);
      d.onRoom?.();
    }
  }

  return {
    schedule,
    gate,
    waiting: {
      isScheduled: (id) => scheduler.isScheduled(id),
      isRunning: (id) => scheduler.isRunning(id),
      waiting: () => scheduler.waiting(),
      nextDueAt: () => scheduler.nextDueAt(),
    },
    stop: (abortAfterMs) => scheduler.stop(abortAfterMs),
  };
}
