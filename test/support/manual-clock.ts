import { systemClock, type Clock } from '../../src/clock.js';

/**
 * Lets pending promise callbacks run: a few microtask turns, enough for the `await` chains a timer
 * callback usually starts (a store write answered by an in-memory fake, a log line) to finish.
 * `advance` flushes ten turns after each timer unless told otherwise: the server-pause tests
 * assert which of two runs due at the same instant reaches the transport first, which depends on
 * that depth (a full drain, `setImmediate`, lets the other one through first); a test whose timer
 * sets off long promise chains (fifty runs at once) asks for more.
 */
export const flush = async (turns = 10): Promise<void> => {
  for (let i = 0; i < turns; i++) await Promise.resolve();
};

/**
 * A {@link Clock} whose time only moves when the test says so, with what the test drives it by.
 * Inject it as it is, or take it apart: `const { clock, advance } = manualClock()`.
 */
export interface ManualClock extends Clock {
  /** Wall time: milliseconds since the epoch. */
  now(): number;
  /** Monotonic time: 0 at the start, moved by `advance` only. */
  monotonic(): number;
  /** The clock itself (for taking it apart). */
  readonly clock: ManualClock;
  /**
   * Lets `ms` pass: wall and monotonic time move together, and every timer that falls due on the
   * way fires in due order (ties in the order they were set), with time standing at its due
   * instant and promise callbacks flushed after each one; timers set by a callback fire in the
   * same call when they fall due before its end.
   */
  advance(ms: number): Promise<void>;
  /**
   * Moves the wall clock alone, by `ms` (negative to set it back), firing nothing: timers run on
   * monotonic time, as Node's do, so a clock set back three hours does not delay them.
   */
  jump(ms: number): void;
  /** Sets the wall clock to `wall` (a jump to an instant), firing nothing. */
  set(wall: number): void;
  /** How many timers are set and not yet fired or cleared. */
  pending(): number;
  /**
   * For code that waits on this clock and on real I/O in turn (a loop that reads a file, then
   * sleeps): advances `stepMs` at a time, letting the event loop run once between steps so real
   * file operations complete, until `work` settles; resolves or rejects as it does. How much
   * time passes is then not exact: use it where the outcome does not depend on it.
   */
  runUntil<T>(work: Promise<T>, stepMs: number): Promise<T>;
}

/** The wall time a manual clock starts at unless told: a fixed instant, so runs repeat. */
export const MANUAL_CLOCK_START = Date.parse('2026-11-24T10:00:00Z');

/**
 * A manual clock for tests of time-dependent code: no sleeps, no real timers, and wall time that
 * can jump independently of the monotonic time timers run on.
 */
export function manualClock(
  start = MANUAL_CLOCK_START,
  opts: {
    /** Microtask turns flushed after each timer (default 10, see {@link flush}). */
    turns?: number;
  } = {},
): ManualClock {
  const turns = opts.turns ?? 10;
  let wall = start;
  let mono = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();

  const nextDue = (end: number): [number, { at: number; fn: () => void }] | undefined => {
    let best: [number, { at: number; fn: () => void }] | undefined;
    // Map iteration is insertion order, so the first of equal due times is the one set first.
    for (const entry of timers) if (!best || entry[1].at < best[1].at) best = entry;
    return best && best[1].at <= end ? best : undefined;
  };

  const advance = async (ms: number): Promise<void> => {
    const end = mono + ms;
    for (let due = nextDue(end); due; due = nextDue(end)) {
      timers.delete(due[0]);
      wall += due[1].at - mono;
      mono = due[1].at;
      due[1].fn();
      await flush(turns);
    }
    wall += end - mono;
    mono = end;
    await flush(turns);
  };

  const clock: ManualClock = {
    now: () => wall,
    monotonic: () => mono,
    setTimeout: (fn, ms) => {
      const id = ++seq;
      // Node runs a negative or NaN delay as soon as it can; so does this clock.
      timers.set(id, { at: mono + (ms > 0 ? ms : 0), fn });
      return id;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    get clock() {
      return clock;
    },
    advance,
    jump: (ms) => void (wall += ms),
    set: (at) => void (wall = at),
    pending: () => timers.size,
    async runUntil(work, stepMs) {
      let settled = false;
      const done = work.finally(() => (settled = true));
      done.catch(() => {}); // awaited below
      while (!settled) {
        await advance(stepMs);
        await new Promise((r) => setImmediate(r));
      }
      return done;
    },
  };
  return clock;
}

/**
 * The real clock and real timers, with a wall time the test can move (`shift`): for a whole daemon
 * doing real I/O whose wall clock is set back or forward while it runs. Timers and monotonic time
 * are the system's, as a jump of the wall clock leaves them.
 */
export function shiftedSystemClock(): { clock: Clock; shift(ms: number): void } {
  let offset = 0;
  return {
    clock: { ...systemClock, now: () => Date.now() + offset },
    shift: (ms) => void (offset += ms),
  };
}
