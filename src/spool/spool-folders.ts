/**
 * Folder watching: which spool folders there are (`auto` re-expanded as profiles come and go),
 * their watchers, and the listings that confirm what a watcher reports. chokidar loses events, so
 * its events are hints: every change is confirmed with `lstat`. A folder holding thousands of files
 * is not watched but listed on a timer until it has drained (`busyFiles`).
 */
import type path from 'node:path';
import type { Clock } from '../clock.js';
import type { FsLike } from '../platform/fs-seam.js';
import { resolveSpoolPaths, type DiscoveryEnv } from './discover.js';
import type { FolderProblems } from './folder-problems.js';
import type { Closer, WatchEventName, WatchFn } from './folder-watch.js';
import { scanFolder, statEntry, type FolderState } from './scan-folder.js';
import type { TaskChain } from './task-chain.js';
import type { TrackedFiles } from './tracked-files.js';

/** One watched folder, as `status` shows it. */
export interface FolderStatus {
  path: string;
  state: FolderState | 'unknown';
  watching: boolean;
}

export interface SpoolFoldersDeps {
  paths: string[];
  env: DiscoveryEnv;
  platform: NodeJS.Platform;
  fs: Pick<FsLike, 'readdir' | 'lstat'>;
  /** The path module matching `platform`. */
  p: path.PlatformPath;
  clock: Clock;
  watch: WatchFn;
  busyFiles: number;
  busyListMs: number;
  files: TrackedFiles;
  tasks: TaskChain;
  problems: FolderProblems;
  /** After a look at a folder: the next grace expiry may have changed. */
  afterLook(): void;
  warn(message: string, error?: unknown): void;
  onFoldersChanged?(folders: string[]): void;
}

interface FolderInfo {
  state: FolderState | 'unknown';
  watcher?: Closer | undefined;
  /** Too many files to watch: listed every `busyListMs` instead (see `busyFiles`). */
  busy?: boolean;
  /** Names the watcher reported since the folder's last look, checked together. */
  pending?: Set<string> | undefined;
}

export function makeSpoolFolders(deps: SpoolFoldersDeps) {
  const { clock, fs, p, files, tasks, problems, busyFiles } = deps;
  const { tracker } = files;
  const folders = new Map<string, FolderInfo>();
  const parents = new Map<string, Closer>();
  let busyTimer: unknown;

  const onWatchEvent = (
    folder: string,
    event: WatchEventName,
    name: string | null,
    error?: unknown,
  ): void => {
    if (tasks.halted()) return;
    if (event === 'error') {
      deps.warn(`watching ${folder} failed; relying on the rescan`, error);
      void tasks.enqueue(() => scanOne(folder));
    } else if (name === null) void tasks.enqueue(() => scanOne(folder));
    else {
      // A burst of events becomes one task per folder: each name is looked at once, however often
      // it was reported, and thousands of them become one listing of the folder.
      const info = folders.get(folder);
      if (info === undefined || info.busy) return;
      if (info.pending === undefined) {
        info.pending = new Set();
        void tasks.enqueue(() => checkPending(folder));
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
      if (e === null) files.clear(p.join(folder, name));
      else files.track(folder, e);
    }
    await checkBusy(folder, info);
    deps.afterLook();
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
    if (busyTimer !== undefined || tasks.halted()) return;
    busyTimer = clock.setTimeout(() => {
      busyTimer = undefined;
      void tasks.enqueue(async () => {
        for (const [folder, info] of folders) if (info.busy) await scanOne(folder, 'new');
        if ([...folders.values()].some((f) => f.busy)) scheduleBusyList();
      });
    }, deps.busyListMs);
  };

  const closeWatcher = async (info: FolderInfo): Promise<void> => {
    const w = info.watcher;
    info.watcher = undefined;
    await w?.close().catch(() => undefined);
  };

  const openWatcher = async (folder: string, info: FolderInfo): Promise<void> => {
    if (info.watcher !== undefined || info.busy || tasks.halted()) return;
    try {
      info.watcher = await deps.watch(folder, (ev, name, err) =>
        onWatchEvent(folder, ev, name, err),
      );
      // A flood of events while chokidar was starting made the folder busy meanwhile.
      if (info.busy || tasks.halted()) await closeWatcher(info);
    } catch (err) {
      deps.warn(`cannot watch ${folder}; relying on the rescan`, err);
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
      files.clearFolder(folder);
      problems.missing(folder);
    } else if (r.state === 'problem' && r.error) {
      problems.failed(folder, r.error);
    } else {
      problems.readable(folder);
      for (const e of r.entries) files.track(folder, e);
      const keep = new Set([...r.entries.map((e) => e.path), ...r.unreadable, ...r.known]);
      files.clearFolder(folder, keep);
      await checkBusy(folder, info);
      await openWatcher(folder, info);
    }
    deps.afterLook();
  };

  /** Re-expands the configured paths: new `sip_*` profiles become folders, vanished ones stop. */
  const refreshFolders = async (): Promise<void> => {
    const x = await resolveSpoolPaths(deps.paths, deps.env, deps.platform, fs);
    problems.warnings(x);
    const known = [...folders.keys()].join('\0');
    const wanted = new Set(x.folders);
    for (const [folder, info] of folders) {
      if (wanted.has(folder)) continue;
      folders.delete(folder);
      problems.forget(folder);
      await closeWatcher(info);
      files.clearFolder(folder);
    }
    for (const f of x.folders) if (!folders.has(f)) folders.set(f, { state: 'unknown' });
    problems.counted(x, folders.size);
    const current = [...folders.keys()];
    if (current.join('\0') !== known) deps.onFoldersChanged?.(current);
    for (const parent of x.parents) {
      if (parents.has(parent) || tasks.halted()) continue;
      const exists = await fs.lstat(parent).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!exists) continue;
      try {
        parents.set(
          parent,
          await deps.watch(parent, (ev) => {
            if (!tasks.halted() && (ev === 'addDir' || ev === 'unlinkDir' || ev === 'error'))
              void tasks.enqueue(refreshAndScanNew);
          }),
        );
      } catch (err) {
        deps.warn(`cannot watch ${parent}; new profiles are found by the rescan`, err);
      }
    }
  };

  const refreshAndScanNew = async (): Promise<void> => {
    await refreshFolders();
    for (const [folder, info] of folders)
      if (info.state === 'unknown' || info.state === 'missing') await scanOne(folder);
  };

  return {
    /** Re-expands `spool.paths` and lists every folder, `lstat`ing every entry. */
    async scanAll(): Promise<void> {
      await refreshFolders();
      for (const folder of [...folders.keys()]) await scanOne(folder);
    },
    list: (): FolderStatus[] =>
      [...folders].map(([path, f]) => ({
        path,
        state: f.state,
        watching: f.watcher !== undefined,
      })),
    /** Clears the busy-listing timer. */
    stopTimer(): void {
      if (busyTimer !== undefined) clock.clearTimeout(busyTimer);
      busyTimer = undefined;
    },
    /** Closes every watcher (after the task chain has gone idle). */
    async closeWatchers(): Promise<void> {
      const closers = [...[...folders.values()].map((f) => f.watcher), ...parents.values()];
      for (const info of folders.values()) {
        info.watcher = undefined;
        info.busy = false;
      }
      parents.clear();
      await Promise.all(closers.map((c) => c?.close().catch(() => undefined)));
    },
  };
}

export type SpoolFolders = ReturnType<typeof makeSpoolFolders>;
