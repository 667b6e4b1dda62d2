import { rm } from 'node:fs/promises';
import type { FsLike } from '../platform/fs-seam.js';
import { writeFileAtomic } from '../queue/atomic-write.js';
import type { GraceEntry } from '../spool/grace-tracker.js';
import {
  daemonInfoPath,
  graceFilePath,
  problemsFilePath,
  type DaemonInfo,
  type GraceFile,
} from './daemon-state.js';
import type { DaemonProblem } from './problems.js';

/** How often the files in their grace period and the open problems are published for `status`. */
const GRACE_PUBLISH_MS = 1000;

/** Size of problems.json: far more than the few problems a daemon can have at once. */
export const PROBLEMS_FILE_BYTES = 64 * 1024;

/** Pure: the problems as JSON padded with spaces to the file's fixed size (the last dropped if too many). */
export function paddedProblems(list: readonly DaemonProblem[]): Buffer {
  const kept: DaemonProblem[] = [];
  let size = 2; // the brackets
  for (const p of list) {
    const n = Buffer.byteLength(JSON.stringify(p)) + (kept.length > 0 ? 1 : 0);
    if (size + n > PROBLEMS_FILE_BYTES) break;
    kept.push(p);
    size += n;
  }
  const bytes = Buffer.alloc(PROBLEMS_FILE_BYTES, 0x20);
  bytes.write(JSON.stringify(kept), 0, 'utf8');
  return bytes;
}

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
  /** Open problems (problems.ts), published beside the grace files. */
  problems: () => DaemonProblem[];
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
      ...(g.rawPath ? { pathBytes: g.rawPath.toString('base64') } : {}),
    }));
    const text = JSON.stringify(files);
    if (text === last) return;
    last = text;
    await writeFileAtomic(fs, graceFilePath(stateDir), text).catch(() => {});
  };
  // problems.json is written once at full size and then rewritten in place: a volume that is full
  // (the very problem to show) has no room for a new file, but the old one's space is still ours.
  const problemsPath = problemsFilePath(stateDir);
  await writeFileAtomic(fs, problemsPath, paddedProblems([]));
  let lastProblems = '[]';
  const publishProblems = async () => {
    const list = opts.problems();
    const text = JSON.stringify(list);
    if (text === lastProblems) return;
    try {
      const handle = await fs.open(problemsPath, 'r+');
      try {
        const bytes = paddedProblems(list);
        await handle.write(bytes, 0, bytes.length, 0);
      } finally {
        await handle.close();
      }
      lastProblems = text;
    } catch {
      // Tried again at the next tick.
    }
  };
  await publishProblems();
  const timer = setInterval(() => {
    void publishGrace();
    void publishProblems();
  }, GRACE_PUBLISH_MS);
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
      await rm(problemsPath, { force: true });
      await rm(daemonInfoPath(stateDir), { force: true });
    },
  };
}
