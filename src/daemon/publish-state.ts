import { rm } from 'node:fs/promises';
import type { FsLike } from '../platform/fs-seam.js';
import { writeFileAtomic } from '../queue/atomic-write.js';
import type { GraceEntry } from '../spool/grace-tracker.js';
import { daemonInfoPath, graceFilePath, type DaemonInfo, type GraceFile } from './daemon-state.js';

/** How often the files in their grace period are published for `status`. */
const GRACE_PUBLISH_MS = 1000;

/** What {@link publishDaemonState} returns. */
export interface PublishedState {
  /** Rewrites daemon.json (the spool folders `auto` finds change while the daemon runs). */
  update(info: DaemonInfo): Promise<void>;
  /** Stops publishing and removes both files. */
  unpublish(): Promise<void>;
}

/**
 * Publishes what `status` reads while the daemon runs: `daemon.json` (who runs, since when, which
 * folders) and `grace.json` (files waiting out their grace period, rewritten only when it
 * changed). Whether a daemon runs is never read from these (see lock-endpoint.ts).
 */
export async function publishDaemonState(opts: {
  fs: FsLike;
  stateDir: string;
  info: DaemonInfo;
  graceSnapshot: () => GraceEntry[];
}): Promise<PublishedState> {
  const { fs, stateDir } = opts;
  const writeInfo = (info: DaemonInfo) =>
    writeFileAtomic(fs, daemonInfoPath(stateDir), JSON.stringify(info, null, 2));
  await writeInfo(opts.info);
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
  let stopped = false;
  return {
    update: async (info) => {
      if (!stopped) await writeInfo(info);
    },
    unpublish: async () => {
      stopped = true;
      clearInterval(timer);
      await rm(graceFilePath(stateDir), { force: true });
      await rm(daemonInfoPath(stateDir), { force: true });
    },
  };
}
