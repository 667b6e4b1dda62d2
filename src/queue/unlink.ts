import type { FsLike } from '../platform/fs-seam.js';
import { errnoCode } from '../platform/errno.js';
import { withBusyRetry, type BusyRetryOptions } from '../platform/rename-retry.js';

/** Removes a file if it is there (retrying Windows locks); true when it existed. */
export async function unlinkIfExists(
  fs: Pick<FsLike, 'unlink'>,
  path: string,
  retry?: BusyRetryOptions,
): Promise<boolean> {
  try {
    await withBusyRetry(() => fs.unlink(path), retry);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

/** The names in a folder; a folder that does not exist (yet) is empty. */
export async function readdirOrEmpty(fs: Pick<FsLike, 'readdir'>, dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
}
