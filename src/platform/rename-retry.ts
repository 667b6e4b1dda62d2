import type { FsLike } from './fs-seam.js';

/**
 * Error codes Windows reports while another process (antivirus, the search indexer, a reader
 * without FILE_SHARE_DELETE) briefly holds a file. They clear up on their own, so a short retry is
 * the cure; elsewhere they are real permission problems and the retry merely delays the error.
 */
export const TRANSIENT_LOCK_CODES: ReadonlySet<string> = new Set(['EPERM', 'EBUSY', 'EACCES']);

/** How hard to retry a locked file. */
export interface BusyRetryOptions {
  /** Total attempts, the first included (default 5). */
  attempts?: number;
  /** Pause before the second attempt, doubled each time after (default 50 ms). */
  delayMs?: number;
  /** Injected for tests; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** The `code` of a Node.js system error, if it has one. */
export const errnoCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;

/**
 * Runs `fn`, retrying it while it fails with a transient lock error (EPERM/EBUSY/EACCES). Other
 * errors, and the last lock error once attempts run out, are thrown unchanged.
 */
export async function withBusyRetry<T>(
  fn: () => Promise<T>,
  opts: BusyRetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const delayMs = opts.delayMs ?? 50;
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const code = errnoCode(e);
      if (attempt >= attempts || code === undefined || !TRANSIENT_LOCK_CODES.has(code)) throw e;
      await sleep(delayMs * 2 ** (attempt - 1));
    }
  }
}

/** `rename(from, to)`, retried briefly while Windows reports the file as locked. */
export function renameWithRetry(
  fs: Pick<FsLike, 'rename'>,
  from: string,
  to: string,
  opts: BusyRetryOptions = {},
): Promise<void> {
  return withBusyRetry(() => fs.rename(from, to), opts);
}
