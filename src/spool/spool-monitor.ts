/**
 * Watches the spool folders, runs every file through the grace timer and hands due files to the
 * daemon. chokidar loses events, so its events are hints: every change is confirmed with `lstat`,
 * a periodic rescan reconciles the folders, and all work runs one task at a time so that a file
 * seen twice is one tracked entry and is handed over once.
 */
import { monotonicNow, type Clock } from '../clock.js';
import type { FsLike } from '../platform/fs-seam.js';
import { pathFor, resolveSpoolPaths, type DiscoveryEnv, type Expansion } from './discover.js';
import { watchFolderChokidar } from './chokidar-watch.js';
import type { Closer, WatchEventName, WatchFn } from './folder-watch.js';
import {
  makeGraceTracker,
  type GraceEntry,
  type Instant,
  type ObserveResult,
} from './grace-tracker.js';
import { scanFolder, statEntry, type FolderState, type ScannedEntry } from './scan-folder.js';

/**
 * A file whose grace period is over, to be claimed: what the monitor hands the daemon's intake
 * (daemon/intake.ts takes this very type, so nothing is dropped on the way).
 */
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

export interface SpoolMonitorDeps {
  /** Folders, or `auto` (see discover.ts). */
  paths: string[];
  graceMs: number;
  rescanMs: number;
  /** When a rejected `onDue` is tried again (default: `min(rescanMs, 10 s)`). */
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
   * The daemon claims the file. Resolving forgets the entry (it left the folder); rejecting keeps it
   * and tries again after `retryMs`.
   */
  onDue(entry: DueEntry): Promise<void>;
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

export interface FolderStatus {
  path: string;
  state: FolderState | 'unknown';
  watching: boolean;
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

interface FolderInfo {
  state: FolderState | 'unknown';
  watcher?: Closer | undefined;
  problem?: string | undefined;
  /** Too many files to watch: listed every `busyListMs` instead (see `busyFiles`). */
  busy?: boolean;
  /** Names the watcher reported since the folder's last look, checked together. */
  pending?: Set<string> | undefined;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Due files taken from the tracker per turn, so watcher events are not held up by a backlog. */
const DUE_BATCH = 64;

/** Runs `fn` over `items`, at most `limit` at a time. */
async function forEachLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

/** Pure: why `spool.paths` gave no folder at all, and what to do about it. */
export function noFolderReason(paths: string[], x: Expansion): string {
  const why =
    x.warnings.length > 0
      ? x.warnings.join('; ')
      : x.parents.length > 0
        ? `spool.paths "auto" found no sip_* profile with a History Spooler under ${x.parents.join(' or ')}`
        : `spool.paths ${JSON.stringify(paths)} names no folder`;
  return `watching no spool folder, so no message is taken: ${why}. Set LOCALAPPDATA to the user's AppData\\Local or list the History Spooler folders in spool.paths; the daemon looks again at every rescan`;
}

export function makeSpoolMonitor(deps: SpoolMonitorDeps): SpoolMonitor {
  const { clock, fs } = deps;
  const p = pathFor(deps.platform);
  const watch = deps.watch ?? watchFolderChokidar;
  const retryMs = deps.retryMs ?? Math.min(deps.rescanMs, 10_000);
  const busyFiles = deps.busyFiles ?? 1_000;
  const busyListMs = deps.busyListMs ?? 1_000;
  const tracker = makeGraceTracker(deps.graceMs);
  const folders = new Map<string, FolderInfo>();
  const parents = new Map<string, Closer>();
  const warned = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  let dueTimer: unknown;
  let rescanTimer: unknown;
  let busyTimer: unknown;

  // Grace is measured on the monotonic clock (grace-tracker.ts); mtimes are read against the wall.
  const mono = (): number => monotonicNow(clock);
  const at = (): Instant => ({ wall: clock.now(), mono: mono() });

  const warn = (message: string, error?: unknown): void => {
    deps.onWarning?.(message, error);
  };
  /** Runs tasks one at a time: an lstat and what is done with it never interleave with a claim. */
  const enqueue = (task: () => Promise<void>): Promise<void> => {
    const run = chain.then(async () => {
      if (stopped) return;
      try {
        await task();
      } finally {
        deps.onGraceChange?.();
      }
    });
    chain = run.catch((e: unknown) => warn('spool monitor task failed', e));
    return chain;
  };

  const track = (folder: string, e: ScannedEntry): ObserveResult => {
    const kind = e.class === 'candidate' ? 'file' : 'notRegular';
    const r = tracker.observe(
      e.path,
      {
        size: e.size,
        mtimeMs: e.mtimeMs,
        ino: e.ino,
        kind,
        folder,
        ...(e.rawPath ? { rawPath: e.rawPath } : {}),
      },
      at(),
    );
    if (r === 'new') deps.onDetected(e.path);
    return r;
  };
  const clear = (path: string): void => {
    if (tracker.gone(path)) deps.onCleared(path);
  };
  const clearFolder = (folder: string, keep: Set<string> = new Set()): void => {
    for (const path of tracker.pathsIn(folder)) if (!keep.has(path)) clear(path);
  };

  const scheduleDue = (): void => {
    if (dueTimer !== undefined) clock.clearTimeout(dueTimer);
    dueTimer = undefined;
    const next = tracker.nextDueAt();
    if (stopped || next === undefined) return;
    const delay = Math.min(Math.max(0, next - mono()), MAX_TIMER_MS);
    dueTimer = clock.setTimeout(() => {
      dueTimer = undefined;
      void enqueue(processDue);
    }, delay);
  };

  /** Claims one due file, unless it changed or left since it was last seen. */
  const takeOne = async (e: GraceEntry): Promise<void> => {
    if (stopped) return;
    let now: ScannedEntry | null;
    try {
      now = await statEntry(fs, e.folder, p.basename(e.path), p, e.rawPath);
    } catch {
      // Unreadable just now: look again later rather than spinning on a due timer of zero.
      if (tracker.begin(e.path)) tracker.settle(e.path, mono() + retryMs);
      return;
    }
    if (now === null) {
      clear(e.path);
      return;
    }
    // A change restarts the timer instead of handing over a file that is still being written.
    if (track(e.folder, now) !== 'unchanged' || !tracker.begin(e.path)) return;
    const kind = now.class === 'candidate' ? 'file' : 'notRegular';
    try {
      await deps.onDue({
        path: e.path,
        folder: e.folder,
        kind,
        size: now.size,
        mtimeMs: now.mtimeMs,
        ...(e.rawPath ? { rawPath: e.rawPath } : {}),
        firstSeenAt: e.firstSeenAt,
      });
      tracker.settle(e.path, 'done');
    } catch {
      // Not reported here: the daemon reports why (rate-limited) at the layer that knows.
      tracker.settle(e.path, mono() + retryMs);
    }
  };

  /**
   * One batch of due files per turn of the task chain: a backlog of thousands goes out batch by
   * batch, with the watcher's news handled in between.
   */
  const processDue = async (): Promise<void> => {
    await forEachLimit(tracker.due(at(), DUE_BATCH), deps.dueConcurrency ?? 1, takeOne);
    scheduleDue();
  };

  const reportProblem = (folder: string, info: FolderInfo, error: NodeJS.ErrnoException): void => {
    const code = error.code ?? error.message;
    if (info.problem === code) return;
    info.problem = code;
    deps.onFolderProblem?.(folder, error);
  };

  const onWatchEvent = (
    folder: string,
    event: WatchEventName,
    name: string | null,
    error?: unknown,
  ): void => {
    if (stopped) return;
    if (event === 'error') {
      warn(`watching ${folder} failed; relying on the rescan`, error);
      void enqueue(() => scanOne(folder));
    } else if (name === null) void enqueue(() => scanOne(folder));
    else {
      // A burst of events becomes one task per folder: each name is looked at once, however often
      // it was reported, and thousands of them become one listing of the folder.
      const info = folders.get(folder);
      if (info === undefined || info.busy) return;
      if (info.pending === undefined) {
        info.pending = new Set();
        void enqueue(() => checkPending(folder));
      }
      info.pending.add(name);
      // A flood of new names: stop the watcher now rather than when the task chain gets to them,
      // before chokidar has opened a watch on each of thousands of files.
      if (info.pending.size + tracker.count(folder) > busyFiles) void goBusy(info);
    }
  };

  const checkPending = async (folder: string): Promise<void> => {
    const info = folders.get(folder);
    const names = info?.pending;
    if (info === undefined || names === undefined) return;
    info.pending = undefined;
    if (info.busy || names.size > busyFiles / 4) return scanOne(folder, 'new');
    for (const name of names) {
      const e = await statEntry(fs, folder, name, p).catch(() => undefined);
      if (e === undefined) continue; // unreadable just now; the rescan looks again
      if (e === null) clear(p.join(folder, name));
      else track(folder, e);
    }
    await checkBusy(folder, info);
    scheduleDue();
  };

  /**
   * chokidar lists and `lstat`s the whole folder again on every change in it (our own claims
   * included) and holds one watch per file: with thousands of files that is O(n) work per file
   * taken. Such a folder is listed by the monitor instead, names only, until it has drained.
   */
  const goBusy = (info: FolderInfo): Promise<void> => {
    if (info.busy) return Promise.resolve();
    info.busy = true;
    scheduleBusyList();
    return closeWatcher(info);
  };
  const checkBusy = async (folder: string, info: FolderInfo): Promise<void> => {
    const n = tracker.count(folder);
    if (!info.busy && n > busyFiles) await goBusy(info);
    else if (info.busy && n < busyFiles / 4) {
      info.busy = false;
      await openWatcher(folder, info);
    }
  };

  const scheduleBusyList = (): void => {
    if (busyTimer !== undefined || stopped) return;
    busyTimer = clock.setTimeout(() => {
      busyTimer = undefined;
      void enqueue(async () => {
        for (const [folder, info] of folders) if (info.busy) await scanOne(folder, 'new');
        if ([...folders.values()].some((f) => f.busy)) scheduleBusyList();
      });
    }, busyListMs);
  };

  const closeWatcher = async (info: FolderInfo): Promise<void> => {
    const w = info.watcher;
    info.watcher = undefined;
    await w?.close().catch(() => undefined);
  };

  const openWatcher = async (folder: string, info: FolderInfo): Promise<void> => {
    if (info.watcher !== undefined || info.busy || stopped) return;
    try {
      info.watcher = await watch(folder, (ev, name, err) => onWatchEvent(folder, ev, name, err));
      // A flood of events while chokidar was starting made the folder busy meanwhile.
      if (info.busy || stopped) await closeWatcher(info);
    } catch (err) {
      warn(`cannot watch ${folder}; relying on the rescan`, err);
    }
  };

  /**
   * Lists one folder. `all` `lstat`s every entry (start, periodic rescan, watcher errors); `new`
   * only those not tracked yet: a tracked file is `lstat`ed again before it is claimed anyway.
   */
  const scanOne = async (folder: string, look: 'all' | 'new' = 'all'): Promise<void> => {
    const info = folders.get(folder);
    if (info === undefined) return;
    const r = await scanFolder(fs, folder, p, look === 'new' ? tracker.has : undefined);
    info.state = r.state;
    if (r.state === 'missing') {
      // Removed (or not created yet): its files are gone; the rescan watches for it to come back.
      await closeWatcher(info);
      info.busy = false;
      clearFolder(folder);
      reportProblem(
        folder,
        info,
        Object.assign(new Error(`spool folder ${folder} does not exist`), { code: 'ENOENT' }),
      );
    } else if (r.state === 'problem' && r.error) {
      reportProblem(folder, info, r.error);
    } else {
      if (info.problem !== undefined) deps.onFolderProblem?.(folder, undefined);
      info.problem = undefined;
      for (const e of r.entries) track(folder, e);
      clearFolder(folder, new Set([...r.entries.map((e) => e.path), ...r.unreadable, ...r.known]));
      await checkBusy(folder, info);
      await openWatcher(folder, info);
    }
    scheduleDue();
  };

  /** Re-expands the configured paths: new `sip_*` profiles become folders, vanished ones stop. */
  const refreshFolders = async (): Promise<void> => {
    const x = await resolveSpoolPaths(deps.paths, deps.env, deps.platform, fs);
    for (const w of x.warnings) {
      if (warned.has(w)) continue;
      warned.add(w);
      warn(w);
    }
    const known = [...folders.keys()].join('\0');
    const wanted = new Set(x.folders);
    for (const [folder, info] of folders) {
      if (wanted.has(folder)) continue;
      folders.delete(folder);
      await closeWatcher(info);
      clearFolder(folder);
    }
    for (const f of x.folders) if (!folders.has(f)) folders.set(f, { state: 'unknown' });
    deps.onNoFolders?.(folders.size > 0 ? undefined : noFolderReason(deps.paths, x));
    const current = [...folders.keys()];
    if (current.join('\0') !== known) deps.onFoldersChanged?.(current);
    for (const parent of x.parents) {
      if (parents.has(parent) || stopped) continue;
      const exists = await fs.lstat(parent).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!exists) continue;
      try {
        parents.set(
          parent,
          await watch(parent, (ev) => {
            if (!stopped && (ev === 'addDir' || ev === 'unlinkDir' || ev === 'error'))
              void enqueue(refreshAndScanNew);
          }),
        );
      } catch (err) {
        warn(`cannot watch ${parent}; new profiles are found by the rescan`, err);
      }
    }
  };

  const refreshAndScanNew = async (): Promise<void> => {
    await refreshFolders();
    for (const [folder, info] of folders)
      if (info.state === 'unknown' || info.state === 'missing') await scanOne(folder);
  };

  const rescanAll = async (): Promise<void> => {
    await refreshFolders();
    for (const folder of [...folders.keys()]) await scanOne(folder);
    await processDue();
  };

  // A stop() and start() in quick succession must not leave two rescan loops running.
  let generation = 0;
  const scheduleRescan = (gen: number): void => {
    if (stopped || gen !== generation) return;
    rescanTimer = clock.setTimeout(
      () => {
        rescanTimer = undefined;
        void enqueue(rescanAll).then(() => scheduleRescan(gen));
      },
      Math.min(deps.rescanMs, MAX_TIMER_MS),
    );
  };

  return {
    async start() {
      stopped = false;
      const gen = ++generation;
      await enqueue(rescanAll);
      scheduleRescan(gen);
    },
    async stop() {
      stopped = true;
      for (const t of [dueTimer, rescanTimer, busyTimer])
        if (t !== undefined) clock.clearTimeout(t);
      dueTimer = rescanTimer = busyTimer = undefined;
      await chain;
      const closers = [...[...folders.values()].map((f) => f.watcher), ...parents.values()];
      for (const info of folders.values()) {
        info.watcher = undefined;
        info.busy = false;
      }
      parents.clear();
      await Promise.all(closers.map((c) => c?.close().catch(() => undefined)));
    },
    snapshot: () => tracker.snapshot(at()),
    rescanNow: () => enqueue(rescanAll),
    folders: () =>
      [...folders].map(([path, f]) => ({
        path,
        state: f.state,
        watching: f.watcher !== undefined,
      })),
  };
}
