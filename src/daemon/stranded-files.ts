import type { Clock } from '../clock.js';
import type { EventLog } from '../log/event-log.js';
import { errorText } from '../platform/errno.js';

/** First and longest pause before admitting a stranded file again (the disk was full or failing). */
const STRANDED_RETRY_MIN_MS = 500;
const STRANDED_RETRY_MAX_MS = 30_000;

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** What is left to do for one stranded file; throws while the queue still cannot be written. */
export type Remaining = () => Promise<void>;

export interface StrandedDeps {
  clock: Clock;
  log: EventLog;
  /** Every stranded file is in the queue now: the queue can be written again. */
  onUnstranded?: () => void;
}

/**
 * Files taken out of a spool folder whose admission failed after they left it (disk full, I/O
 * error). They are retried here, with backoff, until the queue can be written again; meanwhile
 * intake claims no new file, so the others wait safely in the spool folder.
 */
export function makeStrandedFiles(deps: StrandedDeps) {
  const { clock, log } = deps;
  const stranded = new Map<string, Remaining>();
  let retryDelay = STRANDED_RETRY_MIN_MS;
  let retryTimer: unknown;
  let retrying: Promise<boolean> | undefined;
  // Why the queue could not be written the last time (ENOSPC, EIO...), for the caller's report.
  let lastCode: string | undefined;

  const retry = (): Promise<boolean> =>
    (retrying ??= (async () => {
      for (const [path, again] of [...stranded]) {
        stranded.delete(path);
        try {
          await again();
        } catch (e) {
          if (errCode(e) !== 'ENOENT') {
            lastCode = errCode(e);
            stranded.set(path, again);
            return false;
          }
          // A step that did complete moved it on; the next start's recovery finishes the job.
          log.diag('error', `could not finish taking ${path} into the queue: ${errorText(e)}`);
        }
      }
      retryDelay = STRANDED_RETRY_MIN_MS;
      deps.onUnstranded?.();
      return true;
    })().finally(() => (retrying = undefined)));

  const armRetry = (): void => {
    if (retryTimer !== undefined) return;
    retryTimer = clock.setTimeout(() => {
      void retry().then((done) => {
        retryTimer = undefined;
        if (done) return;
        retryDelay = Math.min(retryDelay * 2, STRANDED_RETRY_MAX_MS);
        armRetry();
      });
    }, retryDelay);
  };

  return {
    /** The queue could not be written (`error`): `remaining` is tried again on a timer. */
    strand(claimedPath: string, remaining: Remaining, error: unknown): void {
      lastCode = errCode(error);
      stranded.set(claimedPath, remaining);
      armRetry();
    },
    /** Keeps `remaining` for the next {@link retry}, without a timer of its own. */
    hold(claimedPath: string, remaining: Remaining): void {
      stranded.set(claimedPath, remaining);
    },
    /** Tries every stranded file again now; true when none is left. */
    retry,
    /** How many files wait for the queue. */
    count: (): number => stranded.size,
    /** The code of the last failure to write the queue, if it had one. */
    lastCode: (): string | undefined => lastCode,
  };
}
