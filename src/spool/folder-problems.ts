/**
 * What the spool monitor says about its folders: a folder missing or unreadable (once per change
 * of problem, and once when it is over), no folder at all, and what `auto` could not look at.
 */
import type { Expansion } from './discover.js';

export interface FolderProblemsDeps {
  /** `spool.paths` as configured, for the reason given when no folder is found. */
  paths: string[];
  /** See `SpoolMonitorDeps.onFolderProblem`. */
  onFolderProblem?(folder: string, error: NodeJS.ErrnoException | undefined): void;
  /** See `SpoolMonitorDeps.onNoFolders`. */
  onNoFolders?(reason: string | undefined): void;
  warn(message: string): void;
}

/** Pure: why `spool.paths` gave no folder at all, and what to do about it. */
export function noFolderReason(paths: string[], x: Expansion): string {
  const why =
    x.warnings.length > 0
      ? x.warnings.join('; ')
      : x.parents.length > 0
        ? `spool.paths "auto" found no sip_* profile with a History Spooler under ${x.parents.join(' or ')}`
        : `spool.paths ${JSON.stringify(paths)} names no folder`;
  return `watching no spool folder, so no message is taken: ${why}. Set LOCALAPPDATA to the user's AppData\\Local or list the History Spooler folders in spool.paths; the daemon looks again at every rescan`;
}

export function makeFolderProblems(deps: FolderProblemsDeps) {
  /** The code of the problem last reported for each folder that has one. */
  const reported = new Map<string, string>();
  const warned = new Set<string>();
  const failed = (folder: string, error: NodeJS.ErrnoException): void => {
    const code = error.code ?? error.message;
    if (reported.get(folder) === code) return;
    reported.set(folder, code);
    deps.onFolderProblem?.(folder, error);
  };
  return {
    /** The folder cannot be read (EACCES, ENOTDIR, EIO...). */
    failed,
    /** The folder does not exist (removed, or not created yet). */
    missing(folder: string): void {
      failed(
        folder,
        Object.assign(new Error(`spool folder ${folder} does not exist`), { code: 'ENOENT' }),
      );
    },
    /** The folder was read: a problem reported for it is over. */
    readable(folder: string): void {
      if (reported.delete(folder)) deps.onFolderProblem?.(folder, undefined);
    },
    /** The folder is no longer watched: should it come back, its problems are news again. */
    forget(folder: string): void {
      reported.delete(folder);
    },
    /** What `auto` could not look at, each said once. */
    warnings(x: Expansion): void {
      for (const w of x.warnings) {
        if (warned.has(w)) continue;
        warned.add(w);
        deps.warn(w);
      }
    },
    /** `spool.paths` was expanded into `folderCount` folders: none is a problem. */
    counted(x: Expansion, folderCount: number): void {
      deps.onNoFolders?.(folderCount > 0 ? undefined : noFolderReason(deps.paths, x));
    },
  };
}

export type FolderProblems = ReturnType<typeof makeFolderProblems>;
