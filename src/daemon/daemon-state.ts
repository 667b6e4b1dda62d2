import { join } from 'node:path';
import { lockAddress, probeLock } from '../control/lock-endpoint.js';
import { realFs, type FsLike } from '../platform/fs-seam.js';
import type { DaemonProblem } from './problems.js';
import {
  arrayOf,
  int,
  object,
  optional,
  parseJson,
  str,
  type Shape,
} from '../platform/json-shape.js';

/** What a running daemon publishes about itself in `<stateDir>/daemon.json`. */
export interface DaemonInfo {
  pid: number;
  startedAt: string;
  version: string;
  transport: string;
  spoolFolders: string[];
}

/** Files in the grace period, published by the daemon in `<stateDir>/grace.json` for `status`. */
export interface GraceFile {
  path: string;
  firstSeenAt: string;
  dueAt: string;
  size: number;
  /** The path's bytes (base64) when the name is not valid UTF-8 (`path` then shows `\xHH`). */
  pathBytes?: string;
}

export const problemsFilePath = (stateDir: string): string => join(stateDir, 'problems.json');
export const daemonInfoPath = (stateDir: string): string => join(stateDir, 'daemon.json');
export const graceFilePath = (stateDir: string): string => join(stateDir, 'grace.json');

/** What the readers below read with (the real file system unless a test says otherwise). */
type ReadFs = Pick<FsLike, 'readFile'>;

// Only what `status` cannot do without is required: a daemon of another version may write less.
const daemonInfoShape = object<RunningDaemonInfo>({
  pid: int,
  startedAt: str,
  version: optional(str),
  transport: optional(str),
  spoolFolders: optional(arrayOf(str)),
});
const graceFileShape = object<GraceFile>({
  path: str,
  firstSeenAt: str,
  dueAt: str,
  size: int,
  pathBytes: optional(str),
});
const problemShape = object<DaemonProblem>({
  kind: str,
  subject: str,
  code: str,
  message: str,
  since: str,
  count: int,
});

/**
 * Missing, half-written (a reader can race the daemon's atomic replace on some platforms) or not
 * what this version writes (another version's daemon, a damaged disk): nothing to report, as when
 * no daemon published anything, rather than a crash in the command that reads it.
 */
async function readJson<T>(fs: ReadFs, path: string, shape: Shape<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = parseJson(text, path, shape);
  return parsed.ok ? parsed.value : undefined;
}

/** A daemon that answered on the queue lock, with what it published in daemon.json. */
export type RunningDaemonInfo = Pick<DaemonInfo, 'pid' | 'startedAt'> & Partial<DaemonInfo>;

/**
 * The running daemon, if any. Only the queue lock's holder can say so (see lock-endpoint.ts): a
 * daemon.json left by a killed daemon, whose pid may since be another process's, does not count.
 * A holder that does not answer in time (busy, stopped) still runs: it is reported with the pid
 * daemon.json names.
 */
export async function readRunningDaemon(
  stateDir: string,
  opts: { timeoutMs?: number; fs?: ReadFs } = {},
): Promise<RunningDaemonInfo | undefined> {
  const found = await probeLock(lockAddress(stateDir), opts);
  if (found.kind === 'free' || found.kind === 'closed') return undefined;
  if (found.kind === 'held' && found.holder.role !== 'daemon') return undefined;
  const info = await readJson(opts.fs ?? realFs, daemonInfoPath(stateDir), daemonInfoShape);
  if (found.kind === 'silent') return info;
  const { pid, startedAt, version } = found.holder;
  return info?.pid === pid ? info : { pid, startedAt, ...(version ? { version } : {}) };
}

export async function readGraceFiles(stateDir: string, fs: ReadFs = realFs): Promise<GraceFile[]> {
  return (await readJson(fs, graceFilePath(stateDir), arrayOf(graceFileShape))) ?? [];
}

/** What keeps the running daemon from its job (published in `<stateDir>/problems.json`). */
export async function readProblems(
  stateDir: string,
  fs: ReadFs = realFs,
): Promise<DaemonProblem[]> {
  // The daemon rewrites the file in place (see publish-state.ts): a read that raced a write does
  // not parse, and the next one does.
  for (let i = 0; i < 3; i++) {
    const list = await readJson(fs, problemsFilePath(stateDir), arrayOf(problemShape));
    if (list) return list;
  }
  return [];
}
