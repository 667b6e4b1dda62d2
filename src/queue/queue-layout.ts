import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';

/**
 * Where everything lives under `<stateDir>`. One place, so docs/queue.md and the code can't drift
 * and no other module builds a queue path by hand.
 */
export interface QueueLayout {
  root: string;
  /** `queue.db`: every item, its content, its attempts, and the history (SQLite, WAL mode). */
  dbPath: string;
  /** `claimed/`: taken out of a spool folder, not yet in the database. */
  claimedDir: string;
  /** `quarantine-entries/`: entries quarantined without being read (links, FIFOs, too large). */
  entriesDir: string;
  entryPath(id: string): string;
  /** `file-queue-0.1.0/`: the folders of the file queue (0.1.0), set aside after their import. */
  legacyAsideDir: string;
  /** Folders the store needs, for `open()`. */
  allDirs(): string[];
}

export function queueLayout(root: string): QueueLayout {
  const entriesDir = join(root, 'quarantine-entries');
  const layout: QueueLayout = {
    root,
    dbPath: join(root, 'queue.db'),
    claimedDir: join(root, 'claimed'),
    entriesDir,
    entryPath: (id) => join(entriesDir, id),
    legacyAsideDir: join(root, 'file-queue-0.1.0'),
    allDirs: () => [layout.claimedDir, entriesDir],
  };
  return layout;
}

/**
 * What may appear in a file name built from an ID. Every ID the store makes is 64 hex characters
 * (SHA-256); accepting 8 to 64 lets a prefix through but never a separator, a dot or `..`.
 */
const SAFE_ID = /^[0-9a-f]{8,64}$/;
export const isSafeId = (s: string): boolean => SAFE_ID.test(s);

/** Suffix of every file name in `claimed/`; `.claimed.partial` is then a half-finished copy. */
export const CLAIMED_SUFFIX = '.claimed';

/**
 * A fresh, unique file name for `claimed/`: sortable time, randomness against collisions, and the
 * original name (made safe for any file system) so a person listing the folder knows what it is.
 */
export function claimedName(sourceFileName: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '');
  const safe =
    basename(sourceFileName.replace(/\\/g, '/'))
      .replace(/[^\w.@+-]/g, '_')
      .slice(0, 80) || 'unnamed';
  return `${stamp}-${randomBytes(4).toString('hex')}-${safe}${CLAIMED_SUFFIX}`;
}

/** The original name inside a `claimed/` file name (best effort), for logs after a recovery. */
export function sourceNameOfClaimed(claimedFileName: string): string {
  const m = /^\d{8}T\d{9}Z-[0-9a-f]{8}-(.*)\.claimed$/.exec(basename(claimedFileName));
  return m?.[1] ?? basename(claimedFileName);
}
