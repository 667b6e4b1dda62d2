/**
 * The file-system watcher behind the spool monitor. Its events are only hints that something in a
 * folder changed: the monitor `lstat`s the entry itself, and a periodic rescan catches whatever
 * chokidar loses (bursts, Windows).
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { watch as chokidarWatch } from 'chokidar';

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
 * chokidar 5 on one folder: `depth: 0` (a watcher per file otherwise grows with every subfolder),
 * initial adds reported (they close the gap between the monitor's own scan and the watcher being
 * ready), symlinks not followed, no `awaitWriteFinish` (the grace timer does that job, and it does
 * not apply to initial files anyway).
 */
export const watchFolder: WatchFn = async (dir, onEvent) => {
  // The folder itself may be a symlink an administrator set up; chokidar with followSymlinks off
  // would watch the link rather than the folder, so it gets the real path. Entries are reported by
  // name, so the monitor keeps using the configured path.
  const real = await realpath(dir).catch(() => dir);
  const w = chokidarWatch(real, {
    depth: 0,
    ignoreInitial: false,
    followSymlinks: false,
    ignorePermissionErrors: true,
    persistent: true,
  });
  const key = (p: string): string => (process.platform === 'win32' ? p.toLowerCase() : p);
  const root = key(path.resolve(real));
  w.on('all', (event, p) => {
    if (
      event !== 'add' &&
      event !== 'change' &&
      event !== 'unlink' &&
      event !== 'addDir' &&
      event !== 'unlinkDir'
    )
      return;
    const abs = path.resolve(real, p);
    if (key(abs) === root) onEvent(event, null);
    else if (key(path.dirname(abs)) === root) onEvent(event, path.basename(abs));
  });
  w.on('error', (e) => onEvent('error', null, e));
  return { close: () => w.close() };
};
