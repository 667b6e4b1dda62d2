/**
 * Keeps operator requests and delivery attempts from touching the same item at once.
 *
 * Both change an item's metadata in several steps (read, then write to another state folder). Two
 * of them interleaved would leave two copies with equal `seq`, which could be sent twice or
 * resurrected after a delete. So the item belongs either to one delivery attempt or to one
 * operator request at a time: a request for an item in flight waits until the attempt ends, and an
 * attempt that comes due while a request holds the item is skipped (the request reschedules it).
 */
export interface ControlGate {
  /** Scheduler side, synchronous: may an attempt start now? Marks the item as in flight if so. */
  beginAttempt(id: string): boolean;
  /** Scheduler side: the attempt is over (whatever its outcome). */
  endAttempt(id: string): void;
  /** Is an attempt at this item in flight? */
  inFlight(id: string): boolean;
  /**
   * Runs `fn` with the item to itself, after the attempt in flight (if any) and after earlier
   * requests for the same item, in order. Afterwards the item is rescheduled from what is on disk.
   */
  withItem<T>(id: string, fn: () => Promise<T>): Promise<T>;
}

/** Options of {@link makeControlGate}. */
export interface ControlGateOptions {
  /** Puts the item back in (or out of) the schedule according to its state on disk. */
  reschedule: (id: string) => Promise<void>;
}

export function makeControlGate(opts: ControlGateOptions): ControlGate {
  const attempting = new Set<string>();
  const holding = new Set<string>();
  /** Requests queued per item; the tail is the last one's completion. */
  const queues = new Map<string, { tail: Promise<unknown>; waiting: number }>();
  const handOver = new Map<string, () => void>();

  const acquire = (id: string): Promise<void> => {
    if (!attempting.has(id)) {
      holding.add(id);
      return Promise.resolve();
    }
    return new Promise((resolve) => handOver.set(id, resolve));
  };

  return {
    beginAttempt(id) {
      if (holding.has(id) || queues.has(id)) return false;
      attempting.add(id);
      return true;
    },
    endAttempt(id) {
      attempting.delete(id);
      const next = handOver.get(id);
      if (next) {
        handOver.delete(id);
        // Taken synchronously, so no new attempt can slip in before the request runs.
        holding.add(id);
        next();
      }
    },
    inFlight: (id) => attempting.has(id),
    withItem<T>(id: string, fn: () => Promise<T>): Promise<T> {
      const q = queues.get(id) ?? { tail: Promise.resolve(), waiting: 0 };
      q.waiting++;
      queues.set(id, q);
      const run = q.tail.then(async () => {
        await acquire(id);
        try {
          return await fn();
        } finally {
          holding.delete(id);
          if (--q.waiting === 0) queues.delete(id);
          await opts.reschedule(id);
        }
      });
      q.tail = run.catch(() => {});
      return run;
    },
  };
}
