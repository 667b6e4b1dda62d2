import { rm } from 'node:fs/promises';
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
import type { DaemonProblem } from './problems.js';

/** After a failed write of grace.json, the next try comes this soon, then less often. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** How often the open problems are looked at for `status` (compared first: written on change). */
const PROBLEMS_PUBLISH_MS = 1000;

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
  /** Stops publishing and removes both files. */
  unpublish(): Promise<void>;
}

/**
 * Publishes what `status` reads while the daemon runs: `daemon.json` (who runs, since when, which
 * folders) and `grace.json` (files waiting out their grace period); whether a daemon runs is never
 * read from these (see lock-endpoint.ts). grace.json is written when the grace set
 * changes, never on a timer, so an idle daemon does no work for it. What is on disk is always the
 * set as it was last published, never a guess: a write that fails (a full disk) takes the old
 * file away, since it would show files that may be gone, and is tried again, by a timer that runs
 * only while writes fail, until the set on disk is the current one.
 */
export async function publishDaemonState(opts: {
  fs: FsLike;
  stateDir: string;
  info: DaemonInfo;
  graceSnapshot: () => Pick<GraceEntry, 'path' | 'firstSeenAt' | 'dueAt' | 'size' | 'rawPath'>[];
  /** Open problems (problems.ts), published beside the grace files. */
  problems: () => DaemonProblem[];
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
  const writeInfo = (info: DaemonInfo) =>
    writeFileAtomic(fs, daemonInfoPath(stateDir), JSON.stringify(info, null, 2));
  await writeInfo(opts.info);

  let onDisk: string | undefined; // the text grace.json holds, as far as this process knows
  let writing = false;
  let again = false;
  let stopped = false;
  let retryTimer: unknown;
  let retryMs = RETRY_FIRST_MS;
  let failing = false;

  const textNow = (): string =>
    JSON.stringify(
      opts.graceSnapshot().map((g): GraceFile => ({
        path: g.path,
        firstSeenAt: new Date(g.firstSeenAt).toISOString(),
        dueAt: new Date(g.dueAt).toISOString(),
        size: g.size,
        ...(g.rawPath ? { pathBytes: g.rawPath.toString('base64') } : {}),
      })),
    );

  const publish = async (): Promise<void> => {
    // One write at a time; a change meanwhile is written right after, from a fresh snapshot.
    if (writing) return void (again = true);
    writing = true;
    try {
      do {
        again = false;
        const text = textNow();
        if (text === onDisk || stopped) continue;
        try {
          await writeFileAtomic(fs, gracePath, text);
          onDisk = text;
          if (failing) opts.onGraceTrouble?.(undefined);
          failing = false;
          retryMs = RETRY_FIRST_MS;
        } catch (e) {
          // A stale list is worse than none: status would show files that may be gone.
          onDisk = undefined;
          await fs.rm(gracePath, { force: true }).catch(() => {});
          const why = e instanceof Error ? e.message : String(e);
          opts.onGraceTrouble?.(`cannot write ${gracePath} (${why}); trying again in ${retryMs / 1000} s`); // prettier-ignore
          failing = true;
          if (retryTimer === undefined && !stopped) {
            retryTimer = clock.setTimeout(() => {
              retryTimer = undefined;
              void publish();
            }, retryMs);
            retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
          }
        }
      } while (again);
    } finally {
      writing = false;
    }
  };
  await publish();

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
  // Problems change without a spool event (a failing commit, a folder gone): looked at every
  // second, and written only when they changed.
  const problemsTimer = setInterval(() => void publishProblems(), PROBLEMS_PUBLISH_MS);
  problemsTimer.unref();

  return {
    graceChanged: () => void publish(),
    update: async (info) => {
      if (!stopped) await writeInfo(info);
    },
    async unpublish() {
      stopped = true;
      if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
      clearInterval(problemsTimer);
      await rm(gracePath, { force: true });
      await rm(problemsPath, { force: true });
      await rm(daemonInfoPath(stateDir), { force: true });
    },
  };
}
