/**
 * The file-system watcher behind the spool monitor. Its events are only hints that something in a
 * folder changed: the monitor `lstat`s the entry itself, and a periodic rescan catches whatever
 * the watcher loses (bursts, Windows).
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';

export type WatchEventName = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir' | 'error';

/**
 * One watcher event. `name` is the entry's name directly inside the watched folder, or `null` when
 * the event is about the folder itself (or an error).
 */
export type WatchListener = (event: WatchEventName, name: string | null, error?: unknown) => void;

export interface Closer {
  close(): Promise<void>;
}

/** Watches the direct children of one folder. */
export type WatchFn = (dir: string, onEvent: WatchListener) => Closer | Promise<Closer>;

/**
 * `spool.watcher: "native"`: `fs.watch` on the folder itself (inotify, ReadDirectoryChangesW,
 * FSEvents): one watch per folder, and each event names the entry that changed. chokidar (the
 * default, chokidar-watch.ts) holds a watch per file and re-reads and `lstat`s the whole folder on
 * every change in it; this one costs nothing per file (docs/performance.md). The monitor checks
 * each named entry with one `lstat`, so here only the kind of entry is told apart:
 * `addDir`/`unlinkDir` for subfolders (new `sip_*` profiles), `add`/`unlink` for the rest.
 */
export const watchFolderNative: WatchFn = async (dir, onEvent) => {
  // The folder itself may be a symlink an administrator set up: watch what it points to. Entries
  // are reported by name, so the monitor keeps using the configured path.
  const real = await realpath(dir).catch(() => dir);
  const dirs = new Set<string>();
  for (const e of await readdir(real, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) dirs.add(e.name);
  }
  let closed = false;
  const classify = async (name: string, eventType: string): Promise<void> => {
    const st = await lstat(path.join(real, name)).catch(() => null);
    if (closed) return;
    if (st === null) {
      onEvent(dirs.delete(name) ? 'unlinkDir' : 'unlink', name);
    } else if (st.isDirectory()) {
      if (!dirs.has(name)) {
        dirs.add(name);
        onEvent('addDir', name);
      }
    } else onEvent(eventType === 'change' ? 'change' : 'add', name);
  };
  // Throws (the monitor then relies on the rescan) when the folder cannot be watched.
  const w: FSWatcher = fsWatch(real, { persistent: true }, (eventType, filename) => {
    if (closed) return;
    // Some platforms do not say which entry changed: the folder is scanned instead.
    if (filename === null || filename === undefined || filename === '') onEvent('change', null);
    else void classify(filename.toString(), eventType);
  });
  w.on('error', (e) => {
    if (!closed) onEvent('error', null, e);
  });
  // A file created between the monitor's scan and this watch would go unseen until the rescan:
  // one more look at the folder closes that gap.
  queueMicrotask(() => {
    if (!closed) onEvent('change', null);
  });
  return {
    close: async () => {
      closed = true;
      w.close();
    },
  };
};
