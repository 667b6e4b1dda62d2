/**
 * The one retry rule for a file Windows reports as locked: while another process (antivirus, the
 * search indexer, a reader without FILE_SHARE_DELETE) briefly holds a file, rename, unlink and
 * copy fail with EPERM/EBUSY/EACCES. That clears up on its own, so a short retry is the cure;
 * elsewhere these are real permission problems and the retry merely delays the error. Used by the
 * queue's renames and removals and by the spool claim, with one policy.
 */
import type { FsLike } from './fs-seam.js';
import { errnoCode } from './errno.js';

/** The error codes a locked file gives (see the file comment). */
export const TRANSIENT_LOCK_CODES: ReadonlySet<string> = new Set(['EPERM', 'EBUSY', 'EACCES']);

/** Whether `e` is the error of a file another process holds for a moment. */
export const isLockedFileError = (e: unknown): boolean => {
  const code = errnoCode(e);
  return code !== undefined && TRANSIENT_LOCK_CODES.has(code);
};

/** How hard to retry a locked file: an immutable value (build it with {@link busyRetryPolicy}). */
export interface BusyRetryPolicy {
  /** Total attempts, the first included (at least 1). */
  readonly attempts: number;
  /** Pause before the second attempt, doubled before each one after. */
  readonly firstDelayMs: number;
}

/** A frozen policy; what is not given is the default's (5 attempts, 50 ms first pause). */
export function busyRetryPolicy(p: Partial<BusyRetryPolicy> = {}): BusyRetryPolicy {
  return Object.freeze({
    attempts: Math.max(1, Math.floor(p.attempts ?? 5)),
    firstDelayMs: Math.max(0, p.firstDelayMs ?? 50),
  });
}

/** The policy every locked-file retry uses: 5 attempts, 50 ms then doubled (750 ms in all). */
export const LOCKED_FILE_RETRY: BusyRetryPolicy = busyRetryPolicy();

/** Pure: the pauses between the attempts a policy allows, in order (`attempts - 1` of them). */
export function busyRetryDelays(p: BusyRetryPolicy): readonly number[] {
  return Array.from({ length: p.attempts - 1 }, (_, i) => p.firstDelayMs * 2 ** i);
}

/** A retry: the policy (default {@link LOCKED_FILE_RETRY}) and, for tests, the timer. */
export interface BusyRetryOptions {
  policy?: BusyRetryPolicy;
  /** Injected for tests; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Runs `fn`, retrying it while it fails with a locked-file error, pausing as the policy says.
 * Other errors, and the last locked-file error once the attempts run out, are thrown unchanged
 * (callers that treat "still locked" as an answer test it with {@link isLockedFileError}).
 */
export async function withBusyRetry<T>(
  fn: () => Promise<T>,
  opts: BusyRetryOptions = {},
): Promise<T> {
  const delays = busyRetryDelays(opts.policy ?? LOCKED_FILE_RETRY);
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const delay = delays[attempt];
      if (delay === undefined || !isLockedFileError(e)) throw e;
      await sleep(delay);
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
