import { join } from 'node:path';
import { lockAddress, probeLock } from '../control/lock-endpoint.js';
import { realFs, type FsLike } from '../platform/fs-seam.js';
import type { DaemonProblem } from './problems.js';

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

async function readJson<T>(fs: ReadFs, path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as T;
  } catch {
    // Missing or half-written (a reader can race the daemon's atomic replace on some platforms).
    return undefined;
  }
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
  const info = await readJson<DaemonInfo>(opts.fs ?? realFs, daemonInfoPath(stateDir));
  if (found.kind === 'silent') return info && Number.isInteger(info.pid) ? info : undefined;
  const { pid, startedAt, version } = found.holder;
  return info?.pid === pid ? info : { pid, startedAt, ...(version ? { version } : {}) };
}

export async function readGraceFiles(stateDir: string, fs: ReadFs = realFs): Promise<GraceFile[]> {
  return (await readJson<GraceFile[]>(fs, graceFilePath(stateDir))) ?? [];
}

/** What keeps the running daemon from its job (published in `<stateDir>/problems.json`). */
export async function readProblems(
  stateDir: string,
  fs: ReadFs = realFs,
): Promise<DaemonProblem[]> {
  // The daemon rewrites the file in place (see publish-state.ts): a read that raced a write does
  // not parse, and the next one does.
  for (let i = 0; i < 3; i++) {
    const list = await readJson<DaemonProblem[]>(fs, problemsFilePath(stateDir));
    if (Array.isArray(list)) return list;
  }
  return [];
}
