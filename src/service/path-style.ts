import { posix, win32, type PlatformPath } from 'node:path';

/**
 * The path functions matching how a path is written: Windows (`C:\`, `\\server\`) or POSIX. Paths
 * from this machine keep their own syntax even when rendered for, or tested as, another platform.
 */
export const pathStyle = (p: string): PlatformPath =>
  /^([A-Za-z]:[\\/]|\\\\)/.test(p) ? win32 : posix;
