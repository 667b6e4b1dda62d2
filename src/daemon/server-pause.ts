import type { Clock } from '../clock.js';

/** Longest single wait: a wall clock set back meanwhile is noticed within a minute. */
const MAX_WAIT_MS = 60_000;

/**
 * Waits until the server's back-off (`BackOffMilliseconds`, Graph's `Retry-After`) is over. The
 * scheduler starts no item during a back-off, but an item already under way would send its next
 * group at once: the contract says a back-off pauses every request to that server. The pause is
 * read again after each wait, as another item may have been told to back off meanwhile (and the
 * scheduler moves it back if the wall clock was set back). Rejects with the signal's reason when
 * the attempt is abandoned (shutdown) during the wait.
 */
export async function waitForServerPause(
  clock: Clock,
  pausedUntil: () => number,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    signal.throwIfAborted();
    const wait = pausedUntil() - clock.now();
    if (wait <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clock.clearTimeout(timer);
        reject(signal.reason as Error);
      };
      const timer = clock.setTimeout(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.min(wait, MAX_WAIT_MS),
      );
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
