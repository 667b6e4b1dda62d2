import * as fsp from 'node:fs/promises';

/**
 * The file-system seam. Code that moves or writes durable state takes one of these so that tests
 * can inject Windows-style EPERM/EBUSY, ENOSPC or EIO without mocking modules.
 */
export type FsLike = Pick<
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
>;

export const realFs: FsLike = fsp;
