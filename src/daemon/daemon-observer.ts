import type { DaemonProblem } from './problems.js';

/** What the metrics listener learns from the daemon besides the log lines. */
export interface DaemonObserver {
  serverBackoff(untilMs: number): void;
  /** Items by state (`grace` = files in their grace period) and the oldest undelivered item. */
  queue(stats: Record<string, number>, oldestFirstSeenAtMs: number | undefined): void;
  /** How to read the same counts when they are wanted (a scrape), so they never lag a change. */
  queueSource?(
    read: () => Promise<{ stats: Record<string, number>; oldestFirstSeenAt?: number | undefined }>,
  ): void;
  folderProblem(folder: string, problem: string | undefined): void;
  /** Open problems other than folder ones (problems.ts), whenever they change. */
  problems?(problems: DaemonProblem[]): void;
  /** A commit of the queue database failed (`SQLITE_FULL`, `SQLITE_IOERR`), or one succeeded. */
  storageProblem?(code: string | undefined): void;
}
