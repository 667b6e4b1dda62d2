import type { DeliveryError } from '../errors/errors.js';
import { exponentialBackoff, nextAttemptAt } from '../retry/backoff.js';
import { classify } from '../retry/classify.js';

/** What the worker knows when it decides what happens after a failed attempt. */
export interface FailureContext {
  now: number;
  /** Attempts made so far, including this one. */
  attempts: number;
  firstSeenAt: number;
  retry: { minDelay: number; maxDelay: number; maxAge: number };
  random: () => number;
  /** The attempt was abandoned by shutdown, not failed by the server. */
  aborted: boolean;
}

/** The decision, as data: the worker only carries it out. */
export type FailurePlan = (
  { kind: 'retry'; at: number } | { kind: 'expire' } | { kind: 'park' } | { kind: 'fail' }
) & {
  reason: string;
  pauseUntil?: number | undefined;
  lowerConcurrency?: boolean;
  aborted?: boolean;
};

/** Pure: classify the error, then schedule, expire, park or fail the item. */
export function planAfterFailure(err: DeliveryError, ctx: FailureContext): FailurePlan {
  if (ctx.aborted) {
    // Shutdown is not the server's fault: due again at the next start, not backed off.
    return {
      kind: 'retry',
      at: ctx.now,
      reason: 'attempt abandoned at shutdown; retried at next start',
      aborted: true,
    };
  }
  const c = classify(err);
  const pauseUntil = c.backOffMs !== undefined ? ctx.now + c.backOffMs : undefined;
  const extra = {
    pauseUntil,
    ...(c.lowerConcurrency ? { lowerConcurrency: true } : {}),
  };
  if (c.kind === 'permanent') return { kind: 'fail', reason: c.reason, ...extra };
  if (c.kind === 'park') return { kind: 'park', reason: c.reason, ...extra };
  const next = nextAttemptAt({
    now: ctx.now,
    attempts: ctx.attempts,
    firstSeenAt: ctx.firstSeenAt,
    backoff: exponentialBackoff({ minDelay: ctx.retry.minDelay, maxDelay: ctx.retry.maxDelay }),
    maxAge: ctx.retry.maxAge,
    serverBackOffMs: c.backOffMs,
    random: ctx.random,
  });
  if (next.kind === 'expire') {
    return {
      kind: 'expire',
      reason: `gave up after ${ctx.attempts} attempt(s): older than retry.maxAge (${c.reason})`,
      ...extra,
    };
  }
  return { kind: 'retry', at: next.at, reason: c.reason, ...extra };
}

/** Pure: may this failure be retried at once, in process (p-retry), rather than deferred? */
export function quickRetryAllowed(err: DeliveryError): boolean {
  const c = classify(err);
  return c.kind === 'transient' && c.backOffMs === undefined && !c.lowerConcurrency;
}
