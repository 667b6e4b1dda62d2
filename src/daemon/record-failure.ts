import type { Clock } from '../clock.js';
import type { DeliveryError } from '../errors/errors.js';
import type { EventFields, EventLog } from '../log/event-log.js';
import type { GroupName, ItemMeta, ItemState } from '../queue/item-meta.js';
import type { ItemKind } from '../item/spool-item.js';
import { planAfterFailure } from './failure-plan.js';
import type { ItemOutcome } from './item-outcome.js';

/** What recording a failed attempt needs of the worker's collaborators. */
export interface RecordFailureDeps {
  store: { save(meta: ItemMeta, toState?: ItemState): Promise<ItemMeta> };
  log: EventLog;
  clock: Clock;
  retry: { minDelay: number; maxDelay: number; maxAge: number };
  random: () => number;
}

/** An attempt whose group failed for good (its quick retries, if any, spent). */
export interface FailedAttempt {
  /** The item as the worker holds it; updated and saved here. */
  meta: ItemMeta;
  /** This attempt's number (1-based). */
  attempt: number;
  /** When it started (ms since epoch). */
  started: number;
  group: GroupName;
  error: DeliveryError;
  /** Abandoned by shutdown rather than failed by the server. */
  aborted: boolean;
  /** What every line about this attempt carries: item, file, attempt, addresses. */
  fields: Pick<EventFields, 'itemId' | 'filePath' | 'attempt' | 'email'>;
  kind: ItemKind;
}

/**
 * Carries out `failure-plan`'s decision for a failed attempt: the attempt recorded, the item saved
 * deferred, failed, held or expired, and its line logged. Returns what the scheduler is asked for
 * (the next attempt, a server back-off, fewer at once); it does not ask it itself.
 */
export async function recordFailure(d: RecordFailureDeps, f: FailedAttempt): Promise<ItemOutcome> {
  const { store, log } = d;
  const { meta, error: err } = f;
  const now = d.clock.now();
  const durationMs = now - f.started;
  const error = { code: err.code, message: err.message };
  const plan = planAfterFailure(err, {
    now,
    attempts: f.attempt,
    firstSeenAt: Date.parse(meta.retryWindowFrom ?? meta.firstSeenAt),
    retry: d.retry,
    random: d.random,
    aborted: f.aborted,
  });
  // Asked of the scheduler whatever becomes of this item.
  const asks: ItemOutcome = {
    pauseUntil: plan.pauseUntil,
    ...(plan.lowerConcurrency ? { lowerConcurrency: err.code } : {}),
  };
  const rec = {
    n: f.attempt,
    startedAt: new Date(f.started).toISOString(),
    durationMs,
    group: f.group,
    error,
  };
  meta.lastError = error;
  const fields = { ...f.fields, durationMs, error, extra: { kind: f.kind, group: f.group } };
  switch (plan.kind) {
    case 'retry': {
      const at = new Date(plan.at).toISOString();
      meta.nextAttemptAt = at;
      meta.attempts.push({ ...rec, outcome: 'deferred', nextAttemptAt: at });
      await store.save(meta, 'deferred');
      log.event('delivery.deferred', plan.aborted ? 'unknown' : 'failure', plan.reason, {
        ...fields,
        nextAttemptAt: at,
      });
      return { ...asks, rescheduleAt: plan.at };
    }
    case 'expire':
      meta.attempts.push({ ...rec, outcome: 'failed' });
      delete meta.nextAttemptAt;
      await store.save(meta, 'failed');
      log.event('item.expired', 'failure', plan.reason, { ...fields, level: 'error' });
      return asks;
    case 'park':
      meta.attempts.push({ ...rec, outcome: 'failed' });
      meta.heldReason = plan.reason;
      meta.heldBy = 'daemon';
      delete meta.nextAttemptAt;
      await store.save(meta, 'held');
      log.event('item.held', 'failure', plan.reason, { ...fields, level: 'error' });
      return asks;
    case 'fail':
      meta.attempts.push({ ...rec, outcome: 'failed' });
      delete meta.nextAttemptAt;
      await store.save(meta, 'failed');
      log.event('delivery.failed', 'failure', plan.reason, { ...fields, level: 'error' });
      return asks;
  }
}
