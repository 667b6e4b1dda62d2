/**
 * Takes a spool file out of the client's folder. The file is either moved (`claimed`), already
 * taken by the client (`gone`), or held by someone else (`busy`: antivirus, the indexer, the client
 * itself on Windows): it is then left where it is for the next pass, never lost and never taken
 * twice.
 */
import * as nodeFs from 'node:fs/promises';
import type { FsLike } from '../platform/fs-seam.js';
import { errnoCode as codeOf } from '../platform/errno.js';
import {
  isLockedFileError,
  withBusyRetry,
  type BusyRetryOptions,
} from '../platform/rename-retry.js';

export type ClaimResult = 'claimed' | 'gone' | 'busy';

/** Creates and reads symbolic links; only needed when a link must cross volumes. */
export interface LinkOps {
  readlink(path: string | Buffer): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
}

export interface ClaimOptions extends BusyRetryOptions {
  /** Defaults to node:fs. */
  links?: LinkOps;
}

type ClaimFs = Pick<FsLike, 'rename' | 'lstat' | 'copyFile' | 'open' | 'unlink' | 'writeFile'>;
type Retry = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Moves `from` to `to` (whose folder must exist). Same volume: one rename, atomic. Across volumes
 * (EXDEV): copy to a temporary name beside `to`, fsync, rename into place, then remove the source;
 * if the source cannot be removed the copy is deleted again so the file is not taken twice.
 * A symbolic link is moved as the link itself, never followed; a FIFO, socket or device cannot
 * cross volumes, so an empty placeholder stands for it and the entry is removed.
 */
export async function claimFile(
  fs: ClaimFs,
  from: string | Buffer,
  to: string,
  opts: ClaimOptions = {},
): Promise<ClaimResult> {
  // Still locked once the shared policy's attempts are spent: left for the next pass.
  const withRetry: Retry = (fn) => withBusyRetry(fn, opts);

  const exists = async (p: string | Buffer): Promise<boolean> => {
    try {
      await fs.lstat(p);
      return true;
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return false;
      throw e;
    }
  };

  try {
    await withRetry(() => fs.rename(from, to));
    return 'claimed';
  } catch (e) {
    if (isLockedFileError(e)) return 'busy';
    if (codeOf(e) === 'ENOENT') {
      // ENOENT also means the destination folder is missing: that is our problem, not the client's.
      if (await exists(from)) throw e;
      return 'gone';
    }
    if (codeOf(e) !== 'EXDEV') throw e;
  }
  return copyAcross(fs, from, to, withRetry, opts.links ?? nodeFs);
}

async function copyAcross(
  fs: ClaimFs,
  from: string | Buffer,
  to: string,
  withRetry: Retry,
  links: LinkOps,
): Promise<ClaimResult> {
  const tmp = `${to}.partial`;
  const discard = async (p: string): Promise<void> => {
    await fs.unlink(p).catch(() => undefined);
  };
  try {
    const st = await fs.lstat(from);
    await withRetry(async () => {
      await discard(tmp);
      if (st.isSymbolicLink()) await links.symlink(await links.readlink(from), tmp);
      else if (st.isFile()) {
        await fs.copyFile(from, tmp);
        const fh = await fs.open(tmp, 'r+');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      } else await fs.writeFile(tmp, '');
      await fs.rename(tmp, to);
    });
  } catch (e) {
    await discard(tmp);
    if (isLockedFileError(e)) return 'busy';
    if (
      codeOf(e) === 'ENOENT' &&
      !(await fs.lstat(from).then(
        () => true,
        () => false,
      ))
    )
      return 'gone';
    throw e;
  }
  try {
    await withRetry(() => fs.unlink(from));
    return 'claimed';
  } catch (e) {
    // The source stays: the copy must go, or the item would be taken again on the next pass.
    await discard(to);
    if (isLockedFileError(e)) return 'busy';
    if (codeOf(e) === 'ENOENT') return 'gone';
    throw e;
  }
}
