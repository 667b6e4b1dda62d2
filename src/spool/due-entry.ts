/**
 * The contract between the spool monitor and whatever takes its due files (the daemon's intake):
 * the monitor hands over a {@link DueEntry} and gets a {@link TakeResult} back. Expected outcomes
 * (taken, gone, locked, the queue full) are values, not exceptions; the taker never reaches into
 * the monitor, which alone decides what becomes of its tracked entry.
 */

/** A file whose grace period is over, to be claimed. */
export interface DueEntry {
  path: string;
  folder: string;
  kind: 'file' | 'notRegular';
  size: number;
  mtimeMs: number;
  /** The path as bytes when the name is not valid UTF-8 (`path` then shows bad bytes as `\xHH`). */
  rawPath?: Buffer;
  /**
   * When the monitor first saw the file (ms since the epoch): the item's `firstSeenAt`, from which
   * `status` ages, `retry.maxAge` and the oldest-item metric count. Not the claim time, which is
   * a whole grace period later.
   */
  firstSeenAt: number;
}

/**
 * Why a due file is still in the spool folder (or was put back there):
 * - `locked`: it could not be moved: another process holds it, or the folder is read-only for us;
 * - `unreadable`: it was moved but could not be opened (a Windows lock, permissions being fixed),
 *   and was put back;
 * - `queue-unwritable`: files taken earlier still wait for the queue (disk full, I/O error), so no
 *   new file is taken meanwhile;
 * - `claim-failed`: moving it failed otherwise (the state volume full or failing during a copy
 *   across volumes); nothing was taken.
 */
export type RetryReason = 'locked' | 'unreadable' | 'queue-unwritable' | 'claim-failed';

/** What the taker did with a due file. The monitor forgets the entry unless it is `retry-later`. */
export type TakeResult =
  /** Out of the spool folder and into the queue: `queued`, a `duplicate` of an item, or `quarantined`. */
  | { kind: 'taken'; as: 'queued' | 'duplicate' | 'quarantined'; id: string }
  /**
   * Out of the spool folder, but the queue could not be written (disk full, I/O error): the taker
   * holds the file and writes it into the queue as soon as it can, without the monitor.
   */
  | { kind: 'kept'; code: string; message: string }
  /** It left the spool folder before it could be taken: the client handled it. */
  | { kind: 'gone' }
  /**
   * It is still in the spool folder: offer it again later. `code` is the error's code (`SpoolFileLocked`
   * for `locked`), `message` says what happened, for the problem the caller reports.
   */
  | { kind: 'retry-later'; reason: RetryReason; code: string; message: string };

/** Takes one due file: the spool monitor's only way to hand a file over. */
export type TakeDue = (entry: DueEntry) => Promise<TakeResult>;
