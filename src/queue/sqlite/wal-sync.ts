import { closeSync, fdatasync, openSync } from 'node:fs';

/** Makes what SQLite wrote to the WAL durable, off the main thread; see {@link openWalSync}. */
export interface WalSync {
  /** fdatasync of the WAL, on libuv's thread pool. Rejects with an `SQLITE_IOERR_FSYNC`. */
  sync(): Promise<void>;
  close(): void;
}

/** SQLITE_IOERR_FSYNC (https://sqlite.org/rescode.html#ioerr_fsync): read by `sqliteErrcode`. */
const IOERR_FSYNC = 1034;

/**
 * Opens the connection's WAL file (`<db>-wal`) for `fdatasync`. The file exists once a WAL-mode
 * connection has read the database, and SQLite never deletes or replaces it while that
 * connection is open (only the last connection to close removes it), so one descriptor serves
 * the connection's life. `undefined` when the file cannot be opened (the caller then lets SQLite
 * sync at each commit, as before).
 */
export function openWalSync(walPath: string): WalSync | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(walPath, 'r+');
  } catch {
    return undefined;
  }
  return {
    sync: () =>
      new Promise<void>((resolve, reject) => {
        if (fd === undefined) {
          reject(fsyncError(new Error('the WAL is closed')));
          return;
        }
        fdatasync(fd, (e) => (e ? reject(fsyncError(e)) : resolve()));
      }),
    close: () => {
      if (fd === undefined) return;
      closeSync(fd);
      fd = undefined;
    },
  };
}

function fsyncError(cause: Error): Error {
  const err = new Error(`could not flush the queue database's WAL to disk: ${cause.message}`, {
    cause,
  });
  (err as Error & { errcode: number }).errcode = IOERR_FSYNC;
  return err;
}
