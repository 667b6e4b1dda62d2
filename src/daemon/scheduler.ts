import type { Clock } from '../clock.js';
import { DueHeap } from '../due-heap.js';

/** Options of `makeScheduler`. */
export interface SchedulerOptions {
  clock: Clock;
  /** Most items worked on at once. */
  concurrency: number;
  /** Works one item; the scheduler never runs the same id twice at once. */
  run: (id: string, signal: AbortSignal) => Promise<void>;
  /** Called with errors `run` let escape (they are bugs: `run` records its own outcomes). */
  onError?: (id: string, error: unknown) => void;
}

/** Decides when each queued item is worked on. All waiting is one timer to the next due time. */
export interface Scheduler {
  /** Due at `at` (ms since epoch); an item already scheduled is moved. */
  schedule(id: string, at: number): void;
  unschedule(id: string): void;
  isScheduled(id: string): boolean;
  isRunning(id: string): boolean;
  /** Starts nothing new before `until` (a server's BackOffMilliseconds applies to every item). */
  pauseUntil(until: number): void;
  /** When the server's back-off ends (ms since epoch; in the past when there is none). */
  pausedUntil(): number;
  /** Lowers or raises how many items run at once (ErrorExceededConnectionCount lowers it). */
  setConcurrency(n: number): void;
  concurrency(): number;
  inFlight(): number;
  /** How many items wait to be run (scheduled, not running). */
  waiting(): number;
  /** When the earliest waiting item is due (ms since epoch); undefined when none waits. */
  nextDueAt(): number | undefined;
  /** Stops starting items; aborts the running ones after `abortAfterMs`; resolves when none run. */
  stop(abortAfterMs: number): Promise<{ abandoned: number }>;
}

/** A wall clock set back by more than this is a jump (smaller steps are NTP slewing noise). */
const BACKWARD_JUMP_MS = 1000;

export function makeScheduler(options: SchedulerOptions): Scheduler {
  const { clock } = options;
  const due = new DueHeap();
  const running = new Map<string, AbortController>();
  let limit = Math.max(1, options.concurrency);
  let pause = 0;
  let timer: unknown;
  let timerAt = Infinity;
  let stopping = false;
  let drained: (() => void) | undefined;
  let lastNow = clock.now();

  // Due times are wall-clock instants. When the wall clock is set back, every wait would grow by
  // the jump (hours), so they are moved back with it: an item waits what it was asked to wait.
  // A jump forward needs nothing: items become due, each is run once. `expected` is the wall
  // time a timer was due to fire at (timers run on monotonic time), which measures the jump
  // exactly; otherwise the last reading does, give or take the time since (at most a minute
  // while anything waits, as timers are capped).
  const now = (expected?: number): number => {
    const t = clock.now();
    const ref = Math.max(lastNow, expected ?? -Infinity);
    if (t < ref - BACKWARD_JUMP_MS) {
      due.shift(t - ref);
      if (pause > 0) pause += t - ref;
    }
    lastNow = t;
    return t;
  };

  const arm = () => {
    if (stopping) return;
    const t = now();
    const next = due.peek();
    // At capacity, the end of a run pumps again: a timer now would only spin.
    const at = next && running.size < limit ? Math.max(next.at, pause) : Infinity;
    if (at === timerAt) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    timerAt = at;
    if (at === Infinity) return;
    // Timers are capped so a wall-clock jump is noticed within a minute rather than never.
    const delay = Math.min(Math.max(0, at - t), 60_000);
    timer = clock.setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      pump(t + delay);
    }, delay);
  };

  const pump = (expected?: number) => {
    const t = now(expected);
    while (!stopping && running.size < limit && pause <= t) {
      const id = due.popDue(t);
      if (id === undefined) break;
      if (running.has(id)) continue;
      start(id);
    }
    arm();
  };

  const start = (id: string) => {
    const ac = new AbortController();
    running.set(id, ac);
    void options
      .run(id, ac.signal)
      .catch((error: unknown) => options.onError?.(id, error))
      .finally(() => {
        running.delete(id);
        if (running.size === 0) drained?.();
        pump();
      });
  };

  return {
    schedule(id, at) {
      now(); // a jump is applied to the waiting items before this one, already in the new time
      due.set(id, at);
      pump();
    },
    unschedule(id) {
      due.delete(id);
      arm();
    },
    isScheduled: (id) => due.has(id),
    isRunning: (id) => running.has(id),
    pauseUntil(until) {
      now();
      if (until > pause) pause = until;
      arm();
    },
    // Read through now(): a wall clock set back has moved the pause back with it.
    pausedUntil: () => (now(), pause),
    setConcurrency(n) {
      limit = Math.max(1, Math.floor(n));
      pump();
    },
    concurrency: () => limit,
    inFlight: () => running.size,
    waiting: () => due.size,
    nextDueAt: () => due.peek()?.at,
    async stop(abortAfterMs) {
      stopping = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      if (running.size === 0) return { abandoned: 0 };
      let abandoned = 0;
      const idle = new Promise<void>((resolve) => (drained = resolve));
      const force = clock.setTimeout(() => {
        abandoned = running.size;
        for (const ac of running.values()) ac.abort(new Error('shutdown'));
      }, abortAfterMs);
      await idle;
      clock.clearTimeout(force);
      return { abandoned };
    },
  };
}
