import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import type { WatchFn } from './folder-watch.js';

/**
 * chokidar 5 on the folder itself (`depth: 0`), the default `spool.watcher`. Its events are hints:
 * the monitor `lstat`s each entry and a periodic rescan catches what chokidar loses under bursts
 * and on Windows. chokidar still holds one `fs.watch` per file and, on every change in the folder
 * (our own claims included), lists and `lstat`s the whole folder again: cheap for the handful of
 * files a History Spooler holds, O(n) per file taken with thousands. The monitor therefore stops
 * watching a folder that holds more than `busyFiles` (1,000) and lists it itself until it has
 * drained (spool-monitor.ts; numbers in docs/performance.md).
 */
export const watchFolderChokidar: WatchFn = async (dir, onEvent) => {
  // The folder itself may be a symlink an administrator set up; chokidar with followSymlinks off
  // would watch the link rather than the folder, so it gets the real path. Entries are reported by
  // name, so the monitor keeps using the configured path.
  const real = await realpath(dir).catch(() => dir);
  const w = chokidarWatch(real, {
    depth: 0,
    // The monitor lists the folder itself before watching it.
    ignoreInitial: true,
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
    ) {
      return;
    }
    const abs = path.resolve(real, p);
    if (key(abs) === root) onEvent(event, null);
    else if (key(path.dirname(abs)) === root) onEvent(event, path.basename(abs));
  });
  w.on('error', (e) => onEvent('error', null, e));
  // A file created between the monitor's scan and chokidar's ready would go unseen until the
  // rescan: one more look at the folder once chokidar is watching closes that gap.
  w.once('ready', () => onEvent('change', null));
  return { close: () => w.close() };
};
