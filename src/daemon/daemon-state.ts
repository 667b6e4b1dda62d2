import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Is a process with this pid alive? (EPERM means it exists but belongs to someone else.) */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    // Missing or half-written (a reader can race the daemon's atomic replace on some platforms).
    return undefined;
  }
}

/** The running daemon, if any: a stale daemon.json left by a killed process does not count. */
export async function readRunningDaemon(stateDir: string): Promise<DaemonInfo | undefined> {
  const info = await readJson<DaemonInfo>(daemonInfoPath(stateDir));
  return info && Number.isInteger(info.pid) && processAlive(info.pid) ? info : undefined;
}

export async function readGraceFiles(stateDir: string): Promise<GraceFile[]> {
  return (await readJson<GraceFile[]>(graceFilePath(stateDir))) ?? [];
}

/** What keeps the running daemon from its job (published in `<stateDir>/problems.json`). */
export async function readProblems(stateDir: string): Promise<DaemonProblem[]> {
  // The daemon rewrites the file in place (see publish-state.ts): a read that raced a write does
  // not parse, and the next one does.
  for (let i = 0; i < 3; i++) {
    const list = await readJson<DaemonProblem[]>(problemsFilePath(stateDir));
    if (Array.isArray(list)) return list;
  }
  return [];
}
