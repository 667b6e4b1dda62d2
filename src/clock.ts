/** The time seam: every scheduler, timer and timestamp in the daemon goes through one of these. */
export interface Clock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Milliseconds from an arbitrary origin that never go back, whatever is done to the wall clock
   * (`performance.now()`): for measuring how long something has waited. Optional for test
   * clocks, which then measure on `now()` (see `monotonicNow`).
   */
  monotonic?(): number;
}

/** The clock's monotonic reading, or its wall time when it has none. */
export const monotonicNow = (clock: Clock): number => clock.monotonic?.() ?? clock.now();

/**
 * Calls `fn` every `ms` milliseconds on the clock's timers (so a test's clock drives it, and the
 * system clock's never keep the process alive); returns what stops it.
 */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let stopped = false;
  let handle: unknown;
  const arm = () => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      arm();
      fn();
    }, ms);
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Timers never keep the process alive on their own: shutdown is decided by the daemon.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  monotonic: () => performance.now(),
};

/**
 * The system clock for a command that waits in the foreground (the CLI waiting for the daemon's
 * answer): its timers keep the process alive, where the daemon's must not (see systemClock), or
 * the command would end mid-wait with nothing said.
 */
export const foregroundClock: Clock = {
  ...systemClock,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
};
