/**
 * Setting aside an entry of the state folder that is not what belongs there: a folder (or a link,
 * a FIFO) where imspooler keeps a file, such as a folder named like a metadata file or in place
 * of `queue.lock`. Reading it fails with EISDIR on every start, so a service manager would restart
 * the daemon in a loop. It is moved, whole, to `<stateDir>/set-aside/<time>/<its path>`, kept for
 * a person to look at, and whoever moved it logs what it did. Any part that owns a file in the
 * state folder calls this for it (the lock, the published state, the 0.1.0 import, and the queue
 * database's own odd entries and a damaged database, through the synchronous {@link setAsideSync}).
 */
import { mkdirSync, renameSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { realFs, type FsLike } from './fs-seam.js';
import { errnoCode } from './errno.js';

/** What was set aside, and where it went. */
export interface SetAsideEntry {
  /** The path where a file was expected. */
  from: string;
  /** Where it is now. */
  to: string;
  /** What it was: `folder`, `symbolic link`, `other entry`. */
  what: string;
}

/** The folder entries are set aside in. */
export const setAsideDir = (stateDir: string): string => join(stateDir, 'set-aside');

/** `20261202T004703123Z`: sortable, and legal in a file name on every platform. */
export const fileStamp = (now: number): string => new Date(now).toISOString().replace(/[-:.]/g, '');

/**
 * Pure: where the entry at `path` goes, `<stateDir>/set-aside/<time>/<its path below stateDir>`,
 * so nothing is overwritten and what belonged together (a database and its -wal) stays together.
 */
export function setAsidePath(stateDir: string, path: string, now: number): string {
  const below = relative(stateDir, path);
  // Outside the state folder (never expected): keep just its name.
  const kept = below.startsWith(`..${sep}`) || below === '..' || below === '' ? (path.split(sep).pop() ?? 'entry') : below; // prettier-ignore
  return join(setAsideDir(stateDir), fileStamp(now), kept);
}

/**
 * {@link setAsideEntry}'s move, synchronous: for the queue database, which is opened (and so
 * checked) synchronously. Returns where the entry went.
 */
export function setAsideSync(stateDir: string, path: string, now: number): string {
  const to = setAsidePath(stateDir, path, now);
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  renameSync(path, to);
  return to;
}

/**
 * What is at `path` when it is neither a regular file nor absent (`folder`, `symbolic link`,
 * `other entry`); undefined for a regular file or nothing. Never follows a link.
 */
export async function unexpectedEntry(
  path: string,
  fs: Pick<FsLike, 'lstat'> = realFs,
): Promise<string | undefined> {
  let st;
  try {
    st = await fs.lstat(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'folder';
  if (st.isSymbolicLink()) return 'symbolic link';
  return 'other entry';
}

/**
 * Moves the entry at `path` (inside `stateDir`) to the set-aside folder, keeping its path below
 * `stateDir` under a folder named for the time, so nothing is overwritten and nothing is lost.
 */
export async function setAsideEntry(
  stateDir: string,
  path: string,
  what: string,
  opts: { fs?: Pick<FsLike, 'mkdir' | 'rename'>; now?: () => number } = {},
): Promise<SetAsideEntry> {
  const fs = opts.fs ?? realFs;
  const to = setAsidePath(stateDir, path, (opts.now ?? Date.now)());
  await fs.mkdir(dirname(to), { recursive: true, mode: 0o700 });
  await fs.rename(path, to);
  return { from: path, to, what };
}

/** If `path` holds something other than a file, sets it aside; what was done, or undefined. */
export async function setAsideIfUnexpected(
  stateDir: string,
  path: string,
  opts: { fs?: Pick<FsLike, 'lstat' | 'mkdir' | 'rename'>; now?: () => number } = {},
): Promise<SetAsideEntry | undefined> {
  const what = await unexpectedEntry(path, opts.fs);
  return what === undefined ? undefined : setAsideEntry(stateDir, path, what, opts);
}

/** The log line's message for an entry set aside. */
export const describeSetAside = (e: SetAsideEntry): string =>
  `a ${e.what} was found at ${e.from}, where imspooler keeps a file; it was moved to ${e.to}, out of the way (look at it, then delete it)`;
