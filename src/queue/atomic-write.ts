import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { FsLike } from '../platform/fs-seam.js';
import { errnoCode } from '../platform/errno.js';
import { renameWithRetry, type BusyRetryOptions } from '../platform/rename-retry.js';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Permissions of the new file (default 0o600: queue files may name people). */
  mode?: number;
  /**
   * Folder for the temporary file; it must be on the same volume as `path` so the final rename
   * is atomic. Default: the target's own folder, under a dot-name ending in `.tmp`.
   */
  tmpDir?: string;
  /** Retry of the final rename while Windows reports the target as locked. */
  retry?: BusyRetryOptions;
}

type AtomicFs = Pick<FsLike, 'writeFile' | 'open' | 'rename' | 'unlink'>;

/** Suffix of every temporary file this module creates, so recovery can recognise them. */
export const TMP_SUFFIX = '.tmp';

/** Errors of fsync on a folder that only mean "this platform can't do that" (Windows, some FS). */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF', 'ENOTSUP']);

/**
 * Replaces `path` with `data` so that a reader, or the disk after a power cut, sees either the old
 * content or the new one, never a mix: write a temporary file, fsync it, rename it over the
 * target, then fsync the folder so the rename itself is on disk. On failure the temporary file is
 * removed and the previous content of `path` is untouched.
 */
export async function writeFileAtomic(
  fs: AtomicFs,
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const mode = opts.mode ?? 0o600;
  const tmp = join(
    opts.tmpDir ?? dirname(path),
    `.${basename(path)}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`,
  );
  try {
    // 'wx': never reuse (or follow a link planted at) an existing name.
    await fs.writeFile(tmp, data, { mode, flag: 'wx' });
    await syncPath(fs, tmp, 'r+');
    await renameWithRetry(fs, tmp, path, opts.retry);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(fs, dirname(path));
}

/** fsync of a file by path (Windows needs write access to flush a file). */
async function syncPath(fs: Pick<FsLike, 'open'>, path: string, flags: string): Promise<void> {
  const handle = await fs.open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * fsync of a folder, so that renames and unlinks in it survive a power cut. Windows cannot open a
 * folder this way (and NTFS journals metadata anyway), so "unsupported" errors are ignored.
 */
export async function syncDir(fs: Pick<FsLike, 'open'>, dir: string): Promise<void> {
  try {
    await syncPath(fs, dir, 'r');
  } catch (e) {
    const code = errnoCode(e);
    if (code === undefined || !DIR_SYNC_UNSUPPORTED.has(code)) throw e;
  }
}
