import { constants } from 'node:fs';
import type { FsLike } from '../platform/fs-seam.js';
import { errorText } from '../platform/errno.js';

/** A claimed entry once looked at: its bytes, why it is not to be read, or a refusal to open it. */
export type Looked =
  | { kind: 'read'; bytes: Buffer }
  /** Not to be read (a link, a FIFO, a hard-linked or too large file): quarantined unread. */
  | { kind: 'unfit'; code: string; message: string }
  /** It could not be opened just now (a Windows lock, permissions being fixed). */
  | { kind: 'refused'; code: string; message: string };

/** Errors opening a claimed file that mean "not now" (Windows locks, permissions being fixed). */
const READ_REFUSED = new Set(['EACCES', 'EPERM', 'EBUSY']);

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/**
 * `lstat`s a claimed entry and reads it without following links, unless it is not to be read.
 * Other I/O errors are thrown (the caller keeps the file and tries again).
 */
export async function readClaimed(
  fs: Pick<FsLike, 'lstat' | 'open'>,
  claimedPath: string,
  maxBytes: number,
): Promise<Looked> {
  const st = await fs.lstat(claimedPath);
  if (!st.isFile()) {
    return {
      kind: 'unfit',
      code: 'NotRegularFile',
      message: 'not a regular file (symbolic link, FIFO or device); it was not followed or read',
    };
  }
  if (st.nlink > 1) {
    return {
      kind: 'unfit',
      code: 'HardLink',
      message: 'the file has other hard links (it may belong to another folder); it was not read',
    };
  }
  if (st.size > maxBytes) {
    return {
      kind: 'unfit',
      code: 'TooLarge',
      message: `the file is ${st.size} bytes, over spool.maxBytes (${maxBytes})`,
    };
  }
  // O_NOFOLLOW: a link swapped in after the lstat above is refused rather than followed.
  try {
    const handle = await fs.open(claimedPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      return { kind: 'read', bytes: await handle.readFile() };
    } finally {
      await handle.close();
    }
  } catch (e) {
    const code = errCode(e);
    if (code !== undefined && READ_REFUSED.has(code))
      return { kind: 'refused', code, message: errorText(e) };
    throw e;
  }
}
