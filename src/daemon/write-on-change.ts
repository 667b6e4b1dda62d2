import { monotonicNow, type Clock } from '../clock.js';

/** After a failed write, the next try comes this soon, then less often. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;

/** A file kept equal to some in-memory state: written when told the state changed, never polled. */
export interface ChangeWriter {
  /** The state may have changed: it is written if its text differs from what is on disk. */
  changed(): void;
  /**
   * Resolves when no write is in flight nor asked for: one held back by `minIntervalMs` is
   * started at once, so what was asked for is on disk when it resolves.
   */
  idle(): Promise<void>;
  /** Writes nothing more (a write in flight finishes: `idle` waits for it). */
  stop(): void;
}

/**
 * Keeps a published file current without a timer while idle: a change is written at once, one
 * write at a time, and only when the text differs from what is on disk. Changes while a write
 * runs are written after it from a fresh text; with `minIntervalMs`, not before that long after
 * the last write ended (a timer set only while such a change waits), so a burst of changes that
 * lasts seconds costs one write per interval instead of one per write's duration. A failed write
 * is tried again by a timer that runs only while writes fail (1 s, doubling up to 30 s), because
 * nothing else may change to set off another write once the disk has room again.
 */
export function makeChangeWriter(opts: {
  clock: Clock;
  /** The text the file should hold now. */
  text: () => string;
  /** Writes it; throws when it could not. */
  write: (text: string) => Promise<void>;
  /** What the file holds already, when known (nothing is written while it is current). */
  onDisk?: string;
  /** A write failed; the next try is in `retryMs`. */
  onFailure?: (error: unknown, retryMs: number) => Promise<void> | void;
  /** A write worked after failures. */
  onRecovered?: () => void;
  /** The least time from the end of one write to the start of the next (default 0). */
  minIntervalMs?: number;
}): ChangeWriter {
  const { clock } = opts;
  let onDisk = opts.onDisk; // as far as this process knows
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failing = false;
  let retryTimer: unknown;
  let retryMs = RETRY_FIRST_MS;
  const minIntervalMs = opts.minIntervalMs ?? 0;
  let lastEnd = -Infinity; // monotonic time the last write ended
  let waitTimer: unknown; // set while a change waits out minIntervalMs

  const run = async (): Promise<void> => {
    do {
      again = false;
      const text = opts.text();
      if (stopped || text === onDisk) continue;
      try {
        await opts.write(text);
        onDisk = text;
        if (failing) opts.onRecovered?.();
        failing = false;
        retryMs = RETRY_FIRST_MS;
      } catch (e) {
        // What the file holds now is unknown (or gone): the next try writes whatever is current.
        onDisk = undefined;
        failing = true;
        await opts.onFailure?.(e, retryMs);
        if (retryTimer === undefined && !stopped) {
          retryTimer = clock.setTimeout(() => {
            retryTimer = undefined;
            changed();
          }, retryMs);
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        }
      } finally {
        lastEnd = monotonicNow(clock);
      }
    } while (again && !stopped && minIntervalMs === 0);
  };

  const start = (): void => {
    again = false;
    running = run().finally(() => {
      running = undefined;
      if (again && !stopped) changed();
    });
  };

  const changed = (): void => {
    if (running) return void (again = true);
    if (waitTimer !== undefined) return;
    const wait = lastEnd + minIntervalMs - monotonicNow(clock);
    if (wait <= 0) return start();
    waitTimer = clock.setTimeout(() => {
      waitTimer = undefined;
      changed();
    }, wait);
  };

  const cancelWait = (): boolean => {
    if (waitTimer === undefined) return false;
    clock.clearTimeout(waitTimer);
    waitTimer = undefined;
    return true;
  };

  return {
    changed,
    idle: async () => {
      for (;;) {
        if (cancelWait()) {
          if (running) again = true;
          else start();
        }
        if (!running) return;
        await running;
      }
    },
    stop: () => {
      stopped = true;
      cancelWait();
      if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
      retryTimer = undefined;
    },
  };
}
