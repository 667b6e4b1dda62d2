import type { Clock } from '../clock.js';
import type { FsLike } from '../platform/fs-seam.js';
import { setAsideIfUnexpected, type SetAsideEntry } from '../platform/set-aside.js';
import { writeFileAtomic } from '../queue/atomic-write.js';
import type { GraceEntry } from '../spool/grace-tracker.js';
import {
  daemonInfoPath,
  graceFilePath,
  problemsFilePath,
  type DaemonInfo,
  type GraceFile,
} from './daemon-state.js';
import type { DaemonProblem, ProblemBoard } from './problems.js';
import { makeChangeWriter } from './write-on-change.js';

/**
 * grace.json is rewritten at most this often while files keep arriving or leaving (the first
 * change after a quiet spell is written at once). With thousands of files in grace each rewrite
 * serialises and fsyncs all of them; `status` showing the set up to a second late costs nothing
 * against a grace period of minutes.
 */
export const GRACE_WRITE_INTERVAL_MS = 1000;

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

/** What the daemon keeps of the publisher. */
export interface PublishedState {
  /** Call when the files in grace may have changed: grace.json is rewritten if they did. */
  graceChanged(): void;
  /** Rewrites daemon.json (the spool folders `auto` finds change while the daemon runs). */
  update(info: DaemonInfo): Promise<void>;
  /** Resolves when no write of grace.json or problems.json is in flight. */
  idle(): Promise<void>;
  /** Stops publishing and removes the files. */
  unpublish(): Promise<void>;
}

/**
 * Publishes what `status` reads while the daemon runs: `daemon.json` (who runs, since when, which
 * folders), `grace.json` (files waiting out their grace period) and `problems.json` (what keeps
 * the daemon from its job); whether a daemon runs is never read from these (see
 * lock-endpoint.ts). grace.json and problems.json are written when what they show changes, never
 * on a timer, so an idle daemon does no work for them (write-on-change.ts). What grace.json holds
 * is always the set as it was last published, never a guess: a write that fails (a full disk)
 * takes the old file away, since it would show files that may be gone, and is tried again until
 * the set on disk is the current one.
 */
export async function publishDaemonState(opts: {
  fs: FsLike;
  stateDir: string;
  info: DaemonInfo;
  graceSnapshot: () => Pick<GraceEntry, 'path' | 'firstSeenAt' | 'dueAt' | 'size' | 'rawPath'>[];
  /** Open problems (problems.ts), published beside the grace files whenever they change. */
  problems: Pick<ProblemBoard, 'list' | 'subscribe'>;
  clock: Clock;
  /** A write failed (with when it is tried again), or writes work again. */
  onGraceTrouble?: (problem: string | undefined) => void;
  /** A folder (or link) was where one of the files goes, and was set aside. */
  onSetAside?: (entry: SetAsideEntry) => void;
}): Promise<PublishedState> {
  const { fs, stateDir, clock } = opts;
  const gracePath = graceFilePath(stateDir);
  for (const path of [daemonInfoPath(stateDir), gracePath]) {
    const odd = await setAsideIfUnexpected(stateDir, path, { fs, now: clock.now });
    if (odd) opts.onSetAside?.(odd);
  }
  let stopped = false;
  const writeInfo = (info: DaemonInfo) =>
    writeFileAtomic(fs, daemonInfoPath(stateDir), JSON.stringify(info, null, 2));
  await writeInfo(opts.info);

  const grace = makeChangeWriter({
    clock,
    minIntervalMs: GRACE_WRITE_INTERVAL_MS,
    text: () =>
      JSON.stringify(
        opts.graceSnapshot().map((g): GraceFile => ({
          path: g.path,
          firstSeenAt: new Date(g.firstSeenAt).toISOString(),
          dueAt: new Date(g.dueAt).toISOString(),
          size: g.size,
          ...(g.rawPath ? { pathBytes: g.rawPath.toString('base64') } : {}),
        })),
      ),
    write: (text) => writeFileAtomic(fs, gracePath, text),
    onFailure: async (e, retryMs) => {
      // A stale list is worse than none: status would show files that may be gone.
      await fs.rm(gracePath, { force: true }).catch(() => {});
      const why = e instanceof Error ? e.message : String(e);
      opts.onGraceTrouble?.(`cannot write ${gracePath} (${why}); trying again in ${retryMs / 1000} s`); // prettier-ignore
    },
    onRecovered: () => opts.onGraceTrouble?.(undefined),
  });
  grace.changed();
  await grace.idle();

  // problems.json is written once at full size and then rewritten in place: a volume that is full
  // (the very problem to show) has no room for a new file, but the old one's space is still ours.
  // A failed rewrite is tried again quietly: the failure is most likely the problem it would show.
  const problemsPath = problemsFilePath(stateDir);
  await writeFileAtomic(fs, problemsPath, paddedProblems([]));
  let listed: DaemonProblem[] = []; // the list the text to write was made from
  const problems = makeChangeWriter({
    clock,
    onDisk: '[]',
    text: () => JSON.stringify((listed = opts.problems.list())),
    write: async () => {
      const bytes = paddedProblems(listed);
      const handle = await fs.open(problemsPath, 'r+');
      try {
        await handle.write(bytes, 0, bytes.length, 0);
      } finally {
        await handle.close();
      }
    },
  });
  // Problems change without a spool event (a failing commit, a folder gone): the board says when.
  const unsubscribe = opts.problems.subscribe(() => problems.changed());
  problems.changed();
  await problems.idle();

  const idle = async () => {
    await grace.idle();
    await problems.idle();
  };
  return {
    graceChanged: () => grace.changed(),
    update: async (info) => {
      if (!stopped) await writeInfo(info);
    },
    idle,
    async unpublish() {
      stopped = true;
      unsubscribe();
      grace.stop();
      problems.stop();
      // A write in flight would put a file back after it was removed.
      await idle();
      await fs.rm(gracePath, { force: true });
      await fs.rm(problemsPath, { force: true });
      await fs.rm(daemonInfoPath(stateDir), { force: true });
    },
  };
}
