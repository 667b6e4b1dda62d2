/**
 * What a spool folder entry is, decided from its name and its `lstat` kind alone (never `stat`:
 * a symbolic link must not be followed to decide what it is).
 */

/** The kind of a directory entry as `lstat` sees it. */
export type EntryKind = 'file' | 'symlink' | 'fifo' | 'socket' | 'directory' | 'other';

/**
 * - `ignore`: not ours (yet): hidden or temporary names the client is still writing, and subfolders.
 * - `candidate`: a regular file that will sit out the grace period and then be claimed.
 * - `notRegular`: a symlink, FIFO, socket or device: moved to the quarantine as `NotRegularFile`,
 *   never followed or read (reading a FIFO would block; following a link would leave the folder).
 */
export type EntryClass = 'ignore' | 'candidate' | 'notRegular';

/** Names the contract says to leave alone until they are renamed. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('~') || name.toLowerCase().endsWith('.tmp');
}

/** Classifies one entry of a spool folder. Pure. */
export function classifyEntry(name: string, kind: EntryKind): EntryClass {
  if (name === '' || isIgnoredName(name) || kind === 'directory') return 'ignore';
  return kind === 'file' ? 'candidate' : 'notRegular';
}

/** The subset of `fs.Stats` / `fs.Dirent` needed to tell the kind. */
export interface KindProbe {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}

/** Maps `lstat` results (or a Dirent) to an {@link EntryKind}; devices become `other`. */
export function kindOf(probe: KindProbe): EntryKind {
  // Symlink first: on an lstat result isFile() is false for links anyway, but a Dirent from some
  // file systems is only trustworthy about the link bit.
  if (probe.isSymbolicLink()) return 'symlink';
  if (probe.isFile()) return 'file';
  if (probe.isDirectory()) return 'directory';
  if (probe.isFIFO()) return 'fifo';
  if (probe.isSocket()) return 'socket';
  return 'other';
}
