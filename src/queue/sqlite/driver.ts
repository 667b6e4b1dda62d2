import type * as NodeSqlite from 'node:sqlite';
import type { DatabaseSync as DatabaseSyncType } from 'node:sqlite';

/** A connection of node:sqlite (built into Node from 22.13; no native add-on to bundle). */
export type Database = DatabaseSyncType;

let filterInstalled = false;

/**
 * Node 22 prints "ExperimentalWarning: SQLite is an experimental feature" on stderr the first
 * time node:sqlite is loaded (24.21 does not). The CLI's stderr is for the user's errors, so that
 * one warning, and nothing else, is dropped. Installed before the module is loaded, and once.
 */
function dropSqliteWarning(): void {
  if (filterInstalled) return;
  filterInstalled = true;
  const original = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type =
      typeof rest[0] === 'string'
        ? rest[0]
        : ((rest[0] as { type?: string } | undefined)?.type ??
          (warning instanceof Error ? warning.name : undefined));
    if (type === 'ExperimentalWarning' && /^SQLite is an experimental feature/.test(text)) return;
    (original as (...a: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

let sqlite: typeof NodeSqlite | undefined;

/**
 * node:sqlite, loaded on first use: a static import would be hoisted above the warning filter,
 * and commands that never touch the queue should not load it at all.
 */
export function sqliteModule(): typeof NodeSqlite {
  if (!sqlite) {
    dropSqliteWarning();
    sqlite = process.getBuiltinModule('node:sqlite');
  }
  return sqlite;
}

/** Opens a connection; `readOnly` connections can never change the database. */
export function openConnection(path: string, opts: { readOnly?: boolean } = {}): Database {
  const { DatabaseSync } = sqliteModule();
  return new DatabaseSync(path, {
    readOnly: opts.readOnly ?? false,
    enableForeignKeyConstraints: false,
    // A CLI command and the daemon may both want to write for a moment (the queue lock keeps
    // that rare): wait for the other instead of failing with SQLITE_BUSY.
    timeout: 5000,
  });
}

/** SQLite's primary result codes that callers tell apart (https://sqlite.org/rescode.html). */
export const SQLITE = {
  BUSY: 5,
  IOERR: 10,
  CORRUPT: 11,
  FULL: 13,
  CANTOPEN: 14,
  NOTADB: 26,
} as const;

/** The primary SQLite result code of an error node:sqlite threw, if it is one. */
export function sqliteErrcode(e: unknown): number | undefined {
  const code = (e as { errcode?: unknown } | undefined)?.errcode;
  // Extended codes (SQLITE_IOERR_FSYNC = 1034...) carry the primary code in the low byte.
  return typeof code === 'number' ? code & 0xff : undefined;
}

/** A short name of a storage failure for logs and /healthz: SQLITE_FULL, SQLITE_IOERR... */
export function storageFailureName(e: unknown): string | undefined {
  switch (sqliteErrcode(e)) {
    case SQLITE.FULL:
      return 'SQLITE_FULL';
    case SQLITE.IOERR:
      return 'SQLITE_IOERR';
    case SQLITE.CORRUPT:
      return 'SQLITE_CORRUPT';
    case SQLITE.NOTADB:
      return 'SQLITE_NOTADB';
    case SQLITE.CANTOPEN:
      return 'SQLITE_CANTOPEN';
    case SQLITE.BUSY:
      return 'SQLITE_BUSY';
    default:
      return undefined;
  }
}

/**
 * Rolls back the open transaction, if any. (`isTransaction` exists from Node 22.16 only, and
 * engines allows 22.13: SQLite answers "no transaction is active" instead, which is ignored, as
 * is a rollback SQLite already did by itself after some I/O errors.)
 */
export function rollbackQuietly(db: Database): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // Nothing was open.
  }
}
