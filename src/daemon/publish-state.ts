import { rm } from 'node:fs/promises';
import type { FsLike } from '../platform/fs-seam.js';
import { writeFileAtomic } from '../queue/atomic-write.js';
import type { GraceEntry } from '../spool/grace-tracker.js';
import { daemonInfoPath, graceFilePath, type DaemonInfo, type GraceFile } from './daemon-state.js';

/** How often the files in their grace period are published for `status`. */
const GRACE_PUBLISH_MS = 1000;

/**
 * Publishes what `status` reads while the daemon runs: `daemon.json` (who runs, since when) and
 * `grace.json` (files waiting out their grace period, rewritten only when it changed). Returns the
 * cleanup that stops publishing and removes both, so `status` then says no daemon runs.
 */
export async function publishDaemonState(opts: {
  fs: FsLike;
  stateDir: string;
  info: DaemonInfo;
  graceSnapshot: () => GraceEntry[];
}): Promise<() => Promise<void>> {
  const { fs, stateDir } = opts;
  await writeFileAtomic(fs, daemonInfoPath(stateDir), JSON.stringify(opts.info, null, 2));
  let last = '';
  const publishGrace = async () => {
    const files: GraceFile[] = opts.graceSnapshot().map((g) => ({
      path: g.path,
      firstSeenAt: new Date(g.firstSeenAt).toISOString(),
      dueAt: new Date(g.dueAt).toISOString(),
      size: g.size,
    }));
    const text = JSON.stringify(files);
    if (text === last) return;
    last = text;
    await writeFileAtomic(fs, graceFilePath(stateDir), text).catch(() => {});
  };
  const timer = setInterval(() => void publishGrace(), GRACE_PUBLISH_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await rm(graceFilePath(stateDir), { force: true });
    await rm(daemonInfoPath(stateDir), { force: true });
  };
}
