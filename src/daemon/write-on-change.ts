import type { Clock } from '../clock.js';

/** After a failed write, the next try comes this soon, then less often. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;

/** A file kept equal to some in-memory state: written when told the state changed, never polled. */
export interface ChangeWriter {
  /** The state may have changed: it is written if its text differs from what is on disk. */
  changed(): void;
  /** Resolves when no write is in flight (nor one asked for meanwhile). */
  idle(): Promise<void>;
  /** Writes nothing more (a write in flight finishes: `idle` waits for it). */
  stop(): void;
}

/**
 * Keeps a published file current without a timer while idle: a change is written at once, one
 * write at a time (changes meanwhile are written right after, from a fresh text, so a burst of
 * changes is two writes), and only when the text differs from what is on disk. A failed write is
 * tried again by a timer that runs only while writes fail (1 s, doubling up to 30 s), because
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
}): ChangeWriter {
  const { clock } = opts;
  let onDisk = opts.onDisk; // as far as this process knows
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failing = false;
  let retryTimer: unknown;
  let retryMs = RETRY_FIRST_MS;

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
      }
    } while (again && !stopped);
  };

  const changed = (): void => {
    if (running) return void (again = true);
    running = run().finally(() => (running = undefined));
  };

  return {
    changed,
    idle: async () => {
      while (running) await running;
    },
    stop: () => {
      stopped = true;
      if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
      retryTimer = undefined;
    },
  };
}
