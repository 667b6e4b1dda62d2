/**
 * One pass over one spool folder: every entry that is not ignored, with its `lstat` facts. Used at
 * start, by the periodic rescan that reconciles lost watcher events, and to re-check single entries.
 */
import path from 'node:path';
import type { FsLike } from '../platform/fs-seam.js';
import { classifyEntry, kindOf, type EntryKind } from './entry-filter.js';
import { displayName, isUtf8Name } from './file-name.js';
import { errnoCode } from '../platform/errno.js';

/** A spool entry worth tracking. */
export interface ScannedEntry {
  path: string;
  name: string;
  kind: EntryKind;
  class: 'candidate' | 'notRegular';
  size: number;
  mtimeMs: number;
  ino: number;
  /**
   * The path as bytes, when the name is not valid UTF-8 (`path` and `name` then show the bad
   * bytes as `\xHH` and name no file): every file operation on the entry must use this.
   */
  rawPath?: Buffer;
}

/** Why a folder could not be read. `missing` folders may be created later and are looked at again. */
export type FolderState = 'ok' | 'missing' | 'problem';

export interface ScanResult {
  state: FolderState;
  entries: ScannedEntry[];
  /** Paths whose `lstat` failed this time: neither present nor known to be gone. */
  unreadable: string[];
  /** Paths present but not `lstat`ed because the caller already knows them (`known`). */
  known: string[];
  /** Set when `state` is `problem` (EACCES, ENOTDIR, EIO...). */
  error?: NodeJS.ErrnoException;
}

/**
 * `lstat`s one entry. Returns `null` when it is gone or should be ignored; throws other errors.
 * `p` is the path module matching the folder's flavour.
 */
export async function statEntry(
  fs: Pick<FsLike, 'lstat'>,
  dir: string,
  name: string,
  p: path.PlatformPath = path,
  /** The entry's path as bytes, when its name is not valid UTF-8 (see `rawPathOf`). */
  rawPath?: Buffer,
): Promise<ScannedEntry | null> {
  const full = p.join(dir, name);
  let st;
  try {
    st = await fs.lstat(rawPath ?? full);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return null;
    throw e;
  }
  const kind = kindOf(st);
  const cls = classifyEntry(name, kind);
  if (cls === 'ignore') return null;
  return {
    path: full,
    name,
    kind,
    class: cls,
    size: st.size,
    mtimeMs: st.mtimeMs,
    ino: st.ino,
    ...(rawPath ? { rawPath } : {}),
  };
}

/** The path of an entry whose name is only known as bytes (the folder's own path is a string). */
export function rawPathOf(dir: string, rawName: Buffer, p: path.PlatformPath = path): Buffer {
  const folderAndSeparator = p.join(dir, 'x').slice(0, -1);
  return Buffer.concat([Buffer.from(folderAndSeparator, 'utf8'), rawName]);
}

/**
 * Lists a folder. Never throws for folder-level trouble: it is reported in the result. Paths for
 * which `known` answers true are listed in `known` without an `lstat` (a folder of 20,000 files the
 * caller already tracks costs one `readdir`, not 20,000 system calls).
 */
export async function scanFolder(
  fs: Pick<FsLike, 'readdir' | 'lstat'>,
  dir: string,
  p: path.PlatformPath = path,
  known?: (path: string) => boolean,
): Promise<ScanResult> {
  // Read as bytes: a name that is not UTF-8 would come back as a string naming no file.
  let names: Buffer[];
  try {
    names = await fs.readdir(dir, { encoding: 'buffer' });
  } catch (e) {
    if (errnoCode(e) === 'ENOENT')
      return { state: 'missing', entries: [], unreadable: [], known: [] };
    return {
      state: 'problem',
      entries: [],
      unreadable: [],
      known: [],
      error: e as NodeJS.ErrnoException,
    };
  }
  const entries: ScannedEntry[] = [];
  const unreadable: string[] = [];
  const seen: string[] = [];
  for (const raw of names) {
    const utf8 = isUtf8Name(raw);
    const name = utf8 ? raw.toString('utf8') : displayName(raw);
    // Skip ignored names before touching the disk: the client may be writing them right now.
    if (classifyEntry(name, 'file') === 'ignore') continue;
    if (known?.(p.join(dir, name))) {
      seen.push(p.join(dir, name));
      continue;
    }
    try {
      const entry = await statEntry(fs, dir, name, p, utf8 ? undefined : rawPathOf(dir, raw, p));
      if (entry) entries.push(entry);
    } catch {
      unreadable.push(p.join(dir, name));
      // One unreadable entry (EACCES, EPERM from a scanner holding it) must not hide the others;
      // the next pass looks again.
    }
  }
  return { state: 'ok', entries, unreadable, known: seen };
}
