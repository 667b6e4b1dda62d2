/**
 * Watches the spool folders, runs every file through the grace timer and hands due files to the
 * daemon's intake. Its parts: folder watching (spool-folders.ts), the files in grace
 * (tracked-files.ts), due-selection and hand-over (due-hand-over.ts) and what is said about the
 * folders (folder-problems.ts). All work runs one task at a time (task-chain.ts), so that a file
 * seen twice is one tracked entry and is handed over once; a periodic rescan reconciles the folders.
 */
import type { Clock } from '../clock.js';
import type { FsLike } from '../platform/fs-seam.js';
import { watchFolderChokidar } from './chokidar-watch.js';
import { pathFor, type DiscoveryEnv } from './discover.js';
import type { TakeDue } from './due-entry.js';
import { MAX_TIMER_MS, makeDueHandOver } from './due-hand-over.js';
import { makeFolderProblems } from './folder-problems.js';
import type { WatchFn } from './folder-watch.js';
import type { GraceEntry } from './grace-tracker.js';
import { makeSpoolFolders, type FolderStatus } from './spool-folders.js';
import { makeTaskChain } from './task-chain.js';
import { makeTrackedFiles } from './tracked-files.js';

export type { FolderStatus };

export interface SpoolMonitorDeps {
  /** Folders, or `auto` (see discover.ts). */
  paths: string[];
  graceMs: number;
  rescanMs: number;
  /** When a file `onDue` could not take yet is offered again (default: `min(rescanMs, 10 s)`). */
  retryMs?: number;
  clock: Clock;
  fs: Pick<FsLike, 'readdir' | 'lstat'>;
  env: DiscoveryEnv;
  platform: NodeJS.Platform;
  /** Defaults to chokidar (chokidar-watch.ts); `watchFolderNative` is the fs.watch alternative. */
  watch?: WatchFn;
  /**
   * How many due files are handed to `onDue` at once (default 1). More lets the store commit the
   * admissions of several files together; `onDue` must then cope with calls in parallel.
   */
  dueConcurrency?: number;
  /**
   * A folder holding more files than this is no longer watched but listed by the monitor itself,
   * every `busyListMs`, until it holds fewer than a quarter of them (default 1,000; see
   * docs/performance.md: chokidar re-lists and `lstat`s the whole folder on every change in it).
   */
  busyFiles?: number;
  /** How often a busy folder is listed (default 1 s). */
  busyListMs?: number;
  /** A new file entered its grace period (`spool.detected`). */
  onDetected(path: string): void;
  /** A tracked file left before its grace ended: the client handled it (`spool.cleared`). */
  onCleared(path: string): void;
  /**
   * Takes a due file (the daemon's intake). Its result decides what becomes of the entry:
   * `retry-later` keeps it and offers it again after `retryMs`; anything else forgets it (it left
   * the folder). A rejection is unexpected: the entry is kept as for `retry-later`.
   */
  onDue: TakeDue;
  /**
   * A folder is missing (ENOENT) or unreadable; called again only when the problem changes, and
   * with `undefined` once the folder can be read again.
   */
  onFolderProblem?(folder: string, error: NodeJS.ErrnoException | undefined): void;
  /**
   * There is no folder to watch (`auto` found none, or could not look), with the reason; called
   * with `undefined` once there is one. Called after every expansion of `spool.paths`.
   */
  onNoFolders?(reason: string | undefined): void;
  /** `auto` found less than it could, or a watcher failed. A failed `onDue` is its caller's to report. */
  onWarning?(message: string, error?: unknown): void;
  /**
   * The files in grace may have changed (called after each task that could change them, and only
   * then): for publishing `snapshot()` on change rather than on a timer.
   */
  onGraceChange?(): void;
  /** The folders being watched changed (`auto` found a new profile, or one went away). */
  onFoldersChanged?(folders: string[]): void;
}

export interface SpoolMonitor {
  start(): Promise<void>;
  /** Stops timers and watchers and waits for the task in progress (an `onDue` included). */
  stop(): Promise<void>;
  /** Files in their grace period, for `status`. */
  snapshot(): GraceEntry[];
  /** Re-expands `auto`, rescans every folder and hands over what is due. */
  rescanNow(): Promise<void>;
  folders(): FolderStatus[];
}

export function makeSpoolMonitor(deps: SpoolMonitorDeps): SpoolMonitor {
  const { clock, fs } = deps;
  const p = pathFor(deps.platform);
  const warn = (message: string, error?: unknown): void => deps.onWarning?.(message, error);
  const tasks = makeTaskChain({
    afterEach: () => deps.onGraceChange?.(),
    onError: (e) => warn('spool monitor task failed', e),
  });
  const files = makeTrackedFiles({
    graceMs: deps.graceMs,
    clock,
    onDetected: deps.onDetected,
    onCleared: deps.onCleared,
  });
  const handOver = makeDueHandOver({
    files,
    tasks,
    clock,
    fs,
    p,
    retryMs: deps.retryMs ?? Math.min(deps.rescanMs, 10_000),
    concurrency: deps.dueConcurrency ?? 1,
    takeDue: deps.onDue,
  });
  const folders = makeSpoolFolders({
    paths: deps.paths,
    env: deps.env,
    platform: deps.platform,
    fs,
    p,
    clock,
    watch: deps.watch ?? watchFolderChokidar,
    busyFiles: deps.busyFiles ?? 1_000,
    busyListMs: deps.busyListMs ?? 1_000,
    files,
    tasks,
    problems: makeFolderProblems({
      paths: deps.paths,
      ...(deps.onFolderProblem ? { onFolderProblem: deps.onFolderProblem } : {}),
      ...(deps.onNoFolders ? { onNoFolders: deps.onNoFolders } : {}),
      warn,
    }),
    afterLook: handOver.scheduleDue,
    warn,
    ...(deps.onFoldersChanged ? { onFoldersChanged: deps.onFoldersChanged } : {}),
  });

  const rescanAll = async (): Promise<void> => {
    await folders.scanAll();
    await handOver.processDue();
  };

  // A stop() and start() in quick succession must not leave two rescan loops running.
  let generation = 0;
  let rescanTimer: unknown;
  const scheduleRescan = (gen: number): void => {
    if (tasks.halted() || gen !== generation) return;
    rescanTimer = clock.setTimeout(
      () => {
        rescanTimer = undefined;
        void tasks.enqueue(rescanAll).then(() => scheduleRescan(gen));
      },
      Math.min(deps.rescanMs, MAX_TIMER_MS),
    );
  };

  return {
    async start() {
      tasks.resume();
      const gen = ++generation;
      await tasks.enqueue(rescanAll);
      scheduleRescan(gen);
    },
    async stop() {
      tasks.halt();
      handOver.stop();
      folders.stopTimer();
      if (rescanTimer !== undefined) clock.clearTimeout(rescanTimer);
      rescanTimer = undefined;
      await tasks.idle();
      await folders.closeWatchers();
    },
    snapshot: () => files.tracker.snapshot(files.at()),
    rescanNow: () => tasks.enqueue(rescanAll),
    folders: folders.list,
  };
}
