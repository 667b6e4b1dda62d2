/**
 * Retry delays, as pure immutable values (in the manner of cockatiel's backoffs): the same
 * attempt number and the same random source always give the same delay, so schedules are tested
 * without timers and survive restarts (only the attempt count is stored).
 */

/** How randomness spreads retries so that many items failing together do not retry together. */
export type Jitter = 'full' | 'decorrelated' | 'none';

/** Options of {@link exponentialBackoff}. All durations in milliseconds. */
export interface ExponentialBackoffOptions {
  /** The first delay, and the smallest any delay will be. */
  minDelay: number;
  /** The largest any delay will be. */
  maxDelay: number;
  /** Growth of the cap per attempt (default 2). */
  factor?: number;
  /**
   * `full` (default): uniform between `minDelay` and the attempt's cap. `decorrelated`: each delay
   * uniform between `minDelay` and three times the one before (AWS "decorrelated jitter"), replayed
   * from the first attempt. `none`: exactly the cap.
   */
  jitter?: Jitter;
}

/** A backoff schedule. */
export interface Backoff {
  readonly minDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  readonly jitter: Jitter;
  /** The largest delay attempt `n` (1-based) can get: `minDelay * factor^(n-1)`, at most `maxDelay`. */
  capFor(attempt: number): number;
  /**
   * The delay after failed attempt `n` (1-based), in whole milliseconds, always within
   * [minDelay, maxDelay]. `random` returns numbers in [0, 1), like Math.random.
   */
  delayFor(attempt: number, random: () => number): number;
}

const unit = (random: () => number): number => {
  const r = random();
  // A broken random source must not make a delay NaN or negative.
  return Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
};

/** Exponential backoff with jitter, bounded by [minDelay, maxDelay]. Throws RangeError on bad options. */
export function exponentialBackoff(options: ExponentialBackoffOptions): Backoff {
  const { minDelay, maxDelay } = options;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 'full';
  if (!(Number.isFinite(minDelay) && minDelay >= 0))
    throw new RangeError(`minDelay must be ≥ 0, got ${minDelay}`);
  if (!(Number.isFinite(maxDelay) && maxDelay >= minDelay)) {
    throw new RangeError(`maxDelay must be ≥ minDelay (${minDelay}), got ${maxDelay}`);
  }
  if (!(Number.isFinite(factor) && factor >= 1))
    throw new RangeError(`factor must be ≥ 1, got ${factor}`);

  const clamp = (ms: number): number => Math.min(maxDelay, Math.max(minDelay, Math.round(ms)));
  const attemptOf = (n: number): number => (Number.isFinite(n) ? Math.max(1, Math.floor(n)) : 1);

  const capFor = (attempt: number): number => {
    const grown = minDelay * factor ** (attemptOf(attempt) - 1);
    // Overflow (Infinity, or 0 * Infinity = NaN) only happens far past maxDelay.
    return Number.isFinite(grown) ? clamp(grown) : maxDelay;
  };

  const delayFor = (attempt: number, random: () => number): number => {
    const n = attemptOf(attempt);
    switch (jitter) {
      case 'none':
        return capFor(n);
      case 'full': {
        const cap = capFor(n);
        return clamp(minDelay + unit(random) * (cap - minDelay));
      }
      case 'decorrelated': {
        // Only the attempt count survives a restart, so the chain is replayed; the result has the
        // same distribution as if each delay had been remembered. The bound keeps a runaway
        // attempt count cheap; by then the chain has long been spread over [minDelay, maxDelay].
        let d = minDelay;
        for (let i = 1; i < Math.min(n, 10_000); i++) {
          d = clamp(minDelay + unit(random) * (Math.max(d * 3, minDelay) - minDelay));
        }
        return clamp(d);
      }
    }
  };

  return Object.freeze({ minDelay, maxDelay, factor, jitter, capFor, delayFor });
}

/** What {@link nextAttemptAt} needs; times in milliseconds since the epoch. */
export interface NextAttemptInput {
  now: number;
  /** Attempts made so far, the one that just failed included (1 after the first failure). */
  attempts: number;
  /** Start of the retry window (when the item was first seen, or an operator's retry). */
  firstSeenAt: number;
  backoff: Backoff;
  /** How long after `firstSeenAt` the item may still be retried. */
  maxAge: number;
  /** The server's `BackOffMilliseconds`: the next attempt is never sooner than this. */
  serverBackOffMs?: number | undefined;
  random: () => number;
}

/** When to try again, or that the item is too old to be tried again. */
export type NextAttempt = { kind: 'retry'; at: number } | { kind: 'expire' };

/**
 * Pure: the time of the next attempt after a failure. Expires when the retry window is over, or
 * when the next attempt would fall after it (so an item never waits only to be given up).
 */
export function nextAttemptAt(input: NextAttemptInput): NextAttempt {
  const deadline = input.firstSeenAt + input.maxAge;
  if (!(input.now < deadline)) return { kind: 'expire' };
  const own = input.backoff.delayFor(input.attempts, input.random);
  const server =
    input.serverBackOffMs !== undefined && Number.isFinite(input.serverBackOffMs)
      ? Math.max(0, Math.ceil(input.serverBackOffMs))
      : 0;
  const at = input.now + Math.max(own, server);
  return at > deadline ? { kind: 'expire' } : { kind: 'retry', at };
}
