/**
 * The grace timer: a spool file must sit unchanged for `graceMs` before the daemon takes it, so the
 * Skype for Business client keeps its own two-minute window. Pure: time is passed in.
 *
 * The clock runs from the file's last modification, not from when the daemon first saw it, so a
 * restarted daemon does not give old files another full grace period. A modification time in the
 * future (clock skew, a copied file) counts as "now".
 *
 * A folder may hold tens of thousands of files at once (a profile copied back, a client that was
 * offline for weeks): the due times are kept in a heap, so a change costs O(log n) and finding the
 * next due file never scans every entry.
 */
import { DueHeap } from '../daemon/due-heap.js';

/** What the tracker needs to know about a file, from `lstat`. */
export interface ObservedFile {
  size: number;
  mtimeMs: number;
  /** Inode (or file index on Windows): a replaced file with the same size and mtime is a change. */
  ino?: number;
  /** `notRegular` entries (symlinks, FIFOs...) sit out the grace period too, then go to quarantine. */
  kind?: 'file' | 'notRegular';
  /** The spool folder the file is in, carried along for the caller. */
  folder?: string;
}

/** One tracked file, as `snapshot()` and `due()` return it. */
export interface GraceEntry {
  path: string;
  folder: string;
  kind: 'file' | 'notRegular';
  size: number;
  mtimeMs: number;
  ino: number | undefined;
  /** When the daemon first saw this file (ms since the epoch). */
  firstSeenAt: number;
  /** When the grace period ends (ms since the epoch). */
  dueAt: number;
  /** True while the caller is claiming it (between `begin` and `settle`). */
  claiming: boolean;
}

/** What `observe` did: `new` → log `spool.detected`; `restarted` → the file changed. */
export type ObserveResult = 'new' | 'restarted' | 'unchanged' | 'claiming';

export interface GraceTracker {
  /** Starts tracking a file or, when its size/mtime/inode/kind changed, restarts its timer. */
  observe(path: string, file: ObservedFile, now: number): ObserveResult;
  /** The file left the folder. Returns whether it was tracked (→ `spool.cleared`); false while claiming. */
  gone(path: string): boolean;
  /** Entries whose grace has elapsed and that are not being claimed, earliest first (at most `limit`). */
  due(now: number, limit?: number): GraceEntry[];
  /** The earliest `dueAt` of entries not being claimed, for a single timer. */
  nextDueAt(): number | undefined;
  /** Marks an entry as being claimed: it is neither due nor cleared until `settle`. */
  begin(path: string): boolean;
  /** Ends a claim: `done` forgets the entry; a number puts it back, due again at that time. */
  settle(path: string, outcome: 'done' | number): void;
  /** Whether the path is tracked. */
  has(path: string): boolean;
  /** The tracked paths (for reconciliation after a rescan). */
  paths(): string[];
  /** How many files are tracked in `folder` (all folders without one). */
  count(folder?: string): number;
  /** The tracked paths in one folder. */
  pathsIn(folder: string): string[];
  /** A copy of every entry, earliest due first, for `status`. */
  snapshot(): GraceEntry[];
}

/** Creates a tracker for the given grace period (ms). */
export function makeGraceTracker(graceMs: number): GraceTracker {
  const entries = new Map<string, GraceEntry>();
  /** dueAt of every entry not being claimed, keyed by path. */
  const heap = new DueHeap();
  const perFolder = new Map<string, number>();
  const byDue = (a: GraceEntry, b: GraceEntry): number =>
    a.dueAt - b.dueAt || (a.path < b.path ? -1 : 1);
  const countFolder = (folder: string, delta: number): void => {
    const n = (perFolder.get(folder) ?? 0) + delta;
    if (n > 0) perFolder.set(folder, n);
    else perFolder.delete(folder);
  };
  const forget = (e: GraceEntry): void => {
    entries.delete(e.path);
    heap.delete(e.path);
    countFolder(e.folder, -1);
  };

  return {
    observe(path, file, now) {
      const kind = file.kind ?? 'file';
      const prev = entries.get(path);
      if (prev === undefined) {
        const e: GraceEntry = {
          path,
          folder: file.folder ?? '',
          kind,
          size: file.size,
          mtimeMs: file.mtimeMs,
          ino: file.ino,
          firstSeenAt: now,
          dueAt: Math.min(file.mtimeMs, now) + graceMs,
          claiming: false,
        };
        entries.set(path, e);
        heap.set(path, e.dueAt);
        countFolder(e.folder, 1);
        return 'new';
      }
      if (prev.claiming) return 'claiming';
      const changed =
        prev.size !== file.size ||
        prev.mtimeMs !== file.mtimeMs ||
        prev.kind !== kind ||
        (prev.ino !== undefined && file.ino !== undefined && prev.ino !== file.ino);
      if (!changed) return 'unchanged';
      // A change seen live happened just now; only a newer mtime tells us when exactly. A size change
      // under an unchanged (coarse) or older mtime (a copy that kept its date) restarts from now.
      const basis = file.mtimeMs > prev.mtimeMs ? Math.min(file.mtimeMs, now) : now;
      const next: GraceEntry = {
        ...prev,
        kind,
        size: file.size,
        mtimeMs: file.mtimeMs,
        ino: file.ino,
        folder: file.folder ?? prev.folder,
        dueAt: Math.max(basis + graceMs, prev.dueAt),
      };
      countFolder(prev.folder, -1);
      countFolder(next.folder, 1);
      entries.set(path, next);
      heap.set(path, next.dueAt);
      return 'restarted';
    },
    gone(path) {
      const e = entries.get(path);
      if (e === undefined || e.claiming) return false;
      forget(e);
      return true;
    },
    due(now, limit = Infinity) {
      // Taken off the heap in order, then put back: they stay due until begun or gone.
      const out: GraceEntry[] = [];
      for (let path; out.length < limit && (path = heap.popDue(now)) !== undefined;) {
        const e = entries.get(path);
        if (e !== undefined) out.push(e);
      }
      for (const e of out) heap.set(e.path, e.dueAt);
      return out.map((e) => ({ ...e }));
    },
    nextDueAt: () => heap.peek()?.at,
    begin(path) {
      const e = entries.get(path);
      if (e === undefined || e.claiming) return false;
      e.claiming = true;
      heap.delete(path);
      return true;
    },
    settle(path, outcome) {
      const e = entries.get(path);
      if (e === undefined) return;
      if (outcome === 'done') forget(e);
      else {
        e.claiming = false;
        e.dueAt = outcome;
        heap.set(path, outcome);
      }
    },
    has: (path) => entries.has(path),
    paths: () => [...entries.keys()],
    pathsIn: (folder) =>
      [...entries.values()].filter((e) => e.folder === folder).map((e) => e.path),
    count: (folder) => (folder === undefined ? entries.size : (perFolder.get(folder) ?? 0)),
    snapshot: () => [...entries.values()].sort(byDue).map((e) => ({ ...e })),
  };
}
