import { chmodSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setAsideSync } from '../../platform/set-aside.js';
import type { QueueLayout } from '../queue-layout.js';
import { openConnection, sqliteErrcode, SQLITE, type Database } from './driver.js';
import { configureWriter } from './schema.js';
import { errnoCode } from '../../platform/errno.js';

/** Something found in the state folder that was moved aside so the daemon could start. */
export interface SetAside {
  /** Where it was. */
  path: string;
  /** Where it is now. */
  movedTo: string;
  /** Why, in words for the log. */
  reason: string;
}

/** The daemon's connection, and what had to be moved out of the way to open it. */
export interface OpenedWriter {
  db: Database;
  setAside: SetAside[];
}

function kindOf(path: string): 'missing' | 'file' | 'dir' | 'other' {
  try {
    const st = lstatSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return 'missing';
    throw e;
  }
}

/**
 * Opens (creating when needed) the queue database for the daemon, so that nothing odd in the state
 * folder blocks every start: a folder or link where the database or one of its side files should
 * be, or a file where a folder should be, is set aside; a database that is damaged (not a
 * database, or failing `PRAGMA quick_check`) is set aside with its side files and a fresh one is
 * started. Set aside is the state folder's one way (`platform/set-aside.ts`): moved to
 * `set-aside/<time>/`, under its own name. Nothing is deleted: every move is reported, for the
 * daemon to log as an error with the path a person can look at.
 */
export function openWriter(
  layout: QueueLayout,
  now: number,
  opts: { repair?: boolean } = {},
): OpenedWriter {
  // A command writing for a moment (no daemon) opens what is there and moves nothing: setting
  // things aside is the daemon's, at start, where it is logged.
  mkdirSync(layout.root, { recursive: true, mode: 0o700 });
  if (opts.repair === false) return { db: openChecked(layout.dbPath, false), setAside: [] };
  const setAside: SetAside[] = [];
  const moveAside = (path: string, reason: string): void => {
    setAside.push({ path, movedTo: setAsideSync(layout.root, path, now), reason });
  };
  for (const dir of layout.allDirs()) {
    const kind = kindOf(dir);
    if (kind === 'file' || kind === 'other') {
      moveAside(
        dir,
        `a ${kind === 'file' ? 'file' : 'link or special file'} where the folder ${basename(dir)}/ belongs`,
      );
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  for (const suffix of ['', '-wal', '-shm']) {
    const path = `${layout.dbPath}${suffix}`;
    const kind = kindOf(path);
    if (kind === 'dir' || kind === 'other') {
      moveAside(
        path,
        `a ${kind === 'dir' ? 'folder' : 'link or special file'} where the database file ${basename(path)} belongs`,
      );
    }
  }
  try {
    return { db: openChecked(layout.dbPath), setAside };
  } catch (e) {
    const code = sqliteErrcode(e);
    if (!(e instanceof DamagedDatabase) && code !== SQLITE.CORRUPT && code !== SQLITE.NOTADB) {
      throw e;
    }
    const why = e instanceof Error ? e.message : String(e);
    for (const suffix of ['', '-wal', '-shm']) {
      const path = `${layout.dbPath}${suffix}`;
      if (kindOf(path) !== 'missing') {
        moveAside(path, `the queue database is damaged (${why}); a fresh one was started`);
      }
    }
    return { db: openChecked(layout.dbPath), setAside };
  }
}

/** quick_check found a problem: the database must be set aside, not used or emptied. */
class DamagedDatabase extends Error {}

function openChecked(path: string, check = true): Database {
  // SQLite creates files 0644 less the umask, and gives -wal and -shm the database file's mode:
  // create it empty and private first (an empty file is an empty database to SQLite).
  if (kindOf(path) === 'missing') {
    writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  }
  const db = openConnection(path);
  try {
    configureWriter(db);
    if (!check) return db;
    const rows = db.prepare('PRAGMA quick_check(5)').all() as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((t) => t !== 'ok');
    if (problems.length > 0) throw new DamagedDatabase(`quick_check: ${problems.join('; ')}`);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
