import { closeSync, openSync, readFileSync, readSync, watch } from 'node:fs';
import * as fsp from 'node:fs/promises';

/**
 * The file-system seam. Code that moves or writes durable state takes one of these so that tests
 * can inject Windows-style EPERM/EBUSY, ENOSPC or EIO without mocking modules. Production and
 * tests run the same code: a fake overrides members of {@link realFs}, and nothing compares an
 * injected seam with the real one to take another path.
 */
export interface FsLike extends Pick<
  typeof fsp,
  | 'open'
  | 'readFile'
  | 'writeFile'
  | 'rename'
  | 'unlink'
  | 'rm'
  | 'mkdir'
  | 'readdir'
  | 'lstat'
  | 'stat'
  | 'copyFile'
  | 'chmod'
> {
  /**
   * One small file's UTF-8 text, read synchronously; throws as `readFileSync` does. For reading
   * many small files in a row (the 0.1.0 queue's metadata, up to 100,000 files), where the thread-
   * pool hops of `readFile` cost several times the read itself (see meta-io.ts's `readTexts`).
   */
  readTextSync(path: string): string;
  /**
   * Watches a folder (`fs.watch`): `onEvent` on any change in it, `onError` when the watch
   * fails (the folder removed); throws when it cannot be set up. `close` ends it.
   */
  watchDir(dir: string, onEvent: () => void, onError: (error: unknown) => void): { close(): void };
}

/** Larger files (long attempt lists) are read in full by readFileSync instead. */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;

/**
 * Open, one read into a reused buffer, close: readFileSync adds an fstat and a Buffer per file,
 * which at 100,000 files is a third more system time and garbage. A read shorter than the buffer
 * is taken as the whole file (a regular file only reads short at its end); a caller that finds
 * the text corrupt reads the file again in full before it acts on that (meta-scan.ts).
 */
function readTextSync(path: string): string {
  scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, scratch, 0, SCRATCH_BYTES, 0);
    if (n < SCRATCH_BYTES) return scratch.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
  return readFileSync(path, 'utf8');
}

export const realFs: FsLike = {
  open: fsp.open,
  readFile: fsp.readFile,
  writeFile: fsp.writeFile,
  rename: fsp.rename,
  unlink: fsp.unlink,
  rm: fsp.rm,
  mkdir: fsp.mkdir,
  readdir: fsp.readdir,
  lstat: fsp.lstat,
  stat: fsp.stat,
  copyFile: fsp.copyFile,
  chmod: fsp.chmod,
  readTextSync,
  watchDir(dir, onEvent, onError) {
    const watcher = watch(dir, () => onEvent());
    watcher.on('error', onError);
    return watcher;
  },
};
