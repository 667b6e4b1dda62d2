import type { EventLog } from '../log/event-log.js';
import type { Scheduler } from './scheduler.js';

/**
 * What one run of the item worker asks of the scheduler, as a value (graphile-worker's
 * `completeJob`/`failJob`): the worker decides and records the item's state, {@link applyOutcome}
 * carries the rest out. The worker never calls the scheduler that runs it, so a test reads what a
 * run asked for from its answer. An empty outcome: the item has left the schedule (delivered,
 * failed, held, expired, or nothing to do).
 */
export interface ItemOutcome {
  /** Due again at this instant (ms since epoch): deferred, or interrupted by an unexpected error. */
  readonly rescheduleAt?: number;
  /** The server asked for a back-off: no item starts, and no request leaves, before this instant. */
  readonly pauseUntil?: number | undefined;
  /**
   * The server counts too many connections from us (the error code that said so): one item fewer
   * at once from now on. Relative, not a number, so two items answered so at once lower it twice.
   */
  readonly lowerConcurrency?: string;
  /** The run ended on an unexpected error (a bug, a failing disk): logged as an internal error. */
  readonly interrupted?: { readonly error: unknown };
}

/** What {@link applyOutcome} acts on. */
export interface OutcomeTarget {
  scheduler: Pick<Scheduler, 'schedule' | 'pauseUntil' | 'setConcurrency' | 'concurrency'>;
  log: EventLog;
  /** Told of every server back-off (metrics: `imspooler_server_backoff_until_seconds`, /healthz). */
  onServerBackoff?: (until: number) => void;
}

/**
 * The one place a run's outcome reaches the scheduler: the pause first (nothing more starts),
 * then the concurrency, then the item's next due time.
 */
export function applyOutcome(t: OutcomeTarget, id: string, outcome: ItemOutcome): void {
  if (outcome.pauseUntil !== undefined) {
    t.scheduler.pauseUntil(outcome.pauseUntil);
    t.onServerBackoff?.(outcome.pauseUntil);
  }
  if (outcome.lowerConcurrency !== undefined) {
    t.scheduler.setConcurrency(t.scheduler.concurrency() - 1);
    const n = t.scheduler.concurrency();
    t.log.diag(
      'warn',
      `server reports too many connections (${outcome.lowerConcurrency}); now ${n} at once`,
      { concurrency: n },
    );
  }
  if (outcome.rescheduleAt !== undefined) t.scheduler.schedule(id, outcome.rescheduleAt);
  if (outcome.interrupted) {
    const e = outcome.interrupted.error;
    t.log.diag(
      'error',
      `internal error while delivering ${id}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
