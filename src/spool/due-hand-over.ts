/**
 * Due-selection and hand-over: when files' grace periods end, each is `lstat`ed once more and, if
 * unchanged, handed to the taker (the daemon's intake). The taker's {@link TakeResult} alone
 * decides what becomes of the tracked entry: forgotten, or offered again after `retryMs`.
 */
import type path from 'node:path';
import type { Clock } from '../clock.js';
import type { FsLike } from '../platform/fs-seam.js';
import type { DueEntry, TakeDue, TakeResult } from './due-entry.js';
import type { GraceEntry } from './grace-tracker.js';
import { statEntry, type ScannedEntry } from './scan-folder.js';
import type { TaskChain } from './task-chain.js';
import type { TrackedFiles } from './tracked-files.js';

/** The longest delay a timer takes (Node.js fires longer ones at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Due files taken from the tracker per turn, so watcher events are not held up by a backlog. */
const DUE_BATCH = 64;

export interface DueHandOverDeps {
  files: TrackedFiles;
  tasks: TaskChain;
  clock: Clock;
  fs: Pick<FsLike, 'lstat'>;
  /** The path module matching the folders' flavour. */
  p: path.PlatformPath;
  /** When a file the taker could not take yet is offered again. */
  retryMs: number;
  /** How many due files are handed over at once. */
  concurrency: number;
  takeDue: TakeDue;
}

export interface DueHandOver {
  /** Hands over one batch of due files, then sets the timer for the next. */
  processDue(): Promise<void>;
  /** Sets the one timer for the next grace expiry (after anything that may have changed it). */
  scheduleDue(): void;
  /** Clears the timer. */
  stop(): void;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function forEachLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

/** Pure: what is handed over, from the tracked entry and what the last `lstat` found. */
export function dueEntryOf(e: GraceEntry, now: ScannedEntry): DueEntry {
  return {
    path: e.path,
    folder: e.folder,
    kind: now.class === 'candidate' ? 'file' : 'notRegular',
    size: now.size,
    mtimeMs: now.mtimeMs,
    ...(e.rawPath ? { rawPath: e.rawPath } : {}),
    firstSeenAt: e.firstSeenAt,
  };
}

export function makeDueHandOver(deps: DueHandOverDeps): DueHandOver {
  const { files, tasks, clock, fs, p } = deps;
  const { tracker } = files;
  let dueTimer: unknown;

  const scheduleDue = (): void => {
    if (dueTimer !== undefined) clock.clearTimeout(dueTimer);
    dueTimer = undefined;
    const next = tracker.nextDueAt();
    if (tasks.halted() || next === undefined) return;
    const delay = Math.min(Math.max(0, next - files.mono()), MAX_TIMER_MS);
    dueTimer = clock.setTimeout(() => {
      dueTimer = undefined;
      void tasks.enqueue(processDue);
    }, delay);
  };

  /** Hands over one due file, unless it changed or left since it was last seen. */
  const takeOne = async (e: GraceEntry): Promise<void> => {
    if (tasks.halted()) return;
    let now: ScannedEntry | null;
    try {
      now = await statEntry(fs, e.folder, p.basename(e.path), p, e.rawPath);
    } catch {
      // Unreadable just now: look again later rather than spinning on a due timer of zero.
      if (tracker.begin(e.path)) tracker.settle(e.path, files.mono() + deps.retryMs);
      return;
    }
    if (now === null) {
      files.clear(e.path);
      return;
    }
    // A change restarts the timer instead of handing over a file that is still being written.
    if (files.track(e.folder, now) !== 'unchanged' || !tracker.begin(e.path)) return;
    let r: TakeResult | undefined;
    try {
      r = await deps.takeDue(dueEntryOf(e, now));
    } catch {
      // Unexpected (a bug): kept and offered again. Not reported here: the taker's caller says why.
      r = undefined;
    }
    tracker.settle(
      e.path,
      r === undefined || r.kind === 'retry-later' ? files.mono() + deps.retryMs : 'done',
    );
  };

  /**
   * One batch of due files per turn of the task chain: a backlog of thousands goes out batch by
   * batch, with the watcher's news handled in between.
   */
  const processDue = async (): Promise<void> => {
    await forEachLimit(tracker.due(files.at(), DUE_BATCH), deps.concurrency, takeOne);
    scheduleDue();
  };

  return {
    processDue,
    scheduleDue,
    stop() {
      if (dueTimer !== undefined) clock.clearTimeout(dueTimer);
      dueTimer = undefined;
    },
  };
}
