/**
 * The grace timer: a spool file must sit unchanged for `graceMs` before the daemon takes it, so the
 * Skype for Business client keeps its own two-minute window. Pure: time is passed in.
 *
 * The clock runs from the file's last modification, not from when the daemon first saw it, so a
 * restarted daemon does not give old files another full grace period. A modification time in the
 * future (clock skew, a copied file, the wall clock set back) counts as "now".
 *
 * Modification times are wall-clock instants, but the wait is measured on monotonic time: the age
 * of a file's mtime is read once, when it is seen, and from then on only monotonic time counts, so
 * a wall clock set back by hours cannot hold a file for hours (issue 10.4). `now` is both readings;
 * a plain number means the two are one timeline (tests, clocks without a monotonic reading).
 *
 * A folder may hold tens of thousands of files at once (a profile copied back, a client that was
 * offline for weeks): the due times are kept in a heap, so a change costs O(log n) and finding the
 * next due file never scans every entry.
 */
import { DueHeap } from '../due-heap.js';

/** The wall clock (ms since the epoch) and the monotonic clock, read together. */
export interface Instant {
  wall: number;
  mono: number;
}

const instant = (now: number | Instant): Instant =>
  typeof now === 'number' ? { wall: now, mono: now } : now;

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
  /** The path as bytes when the name is not valid UTF-8 (scan-folder.ts), carried along. */
  rawPath?: Buffer;
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
  /** When the grace period ends (ms since the epoch), as of the `now` given to `snapshot`/`due`. */
  dueAt: number;
  /** When the grace period ends on the monotonic clock: what decides. */
  dueAtMono: number;
  /** True while the caller is claiming it (between `begin` and `settle`). */
  claiming: boolean;
  /** The path as bytes when the name is not valid UTF-8. */
  rawPath?: Buffer;
}

/** What `observe` did: `new` → log `spool.detected`; `restarted` → the file changed. */
export type ObserveResult = 'new' | 'restarted' | 'unchanged' | 'claiming';

export interface GraceTracker {
  /** Starts tracking a file or, when its size/mtime/inode/kind changed, restarts its timer. */
  observe(path: string, file: ObservedFile, now: number | Instant): ObserveResult;
  /** The file left the folder. Returns whether it was tracked (→ `spool.cleared`); false while claiming. */
  gone(path: string): boolean;
  /** Entries whose grace has elapsed and that are not being claimed, earliest first (at most `limit`). */
  due(now: number | Instant, limit?: number): GraceEntry[];
  /** The earliest `dueAtMono` of entries not being claimed, for a single timer. */
  nextDueAt(): number | undefined;
  /** Marks an entry as being claimed: it is neither due nor cleared until `settle`. */
  begin(path: string): boolean;
  /** Ends a claim: `done` forgets the entry; a number puts it back, due again then (monotonic). */
  settle(path: string, outcome: 'done' | number): void;
  /** Whether the path is tracked. */
  has(path: string): boolean;
  /** The tracked paths (for reconciliation after a rescan). */
  paths(): string[];
  /** How many files are tracked in `folder` (all folders without one). */
  count(folder?: string): number;
  /** The tracked paths in one folder. */
  pathsIn(folder: string): string[];
  /** A copy of every entry, earliest due first, for `status` (`dueAt` as of `now` when given). */
  snapshot(now?: number | Instant): GraceEntry[];
}

/** Creates a tracker for the given grace period (ms). */
export function makeGraceTracker(graceMs: number): GraceTracker {
  const entries = new Map<string, GraceEntry>();
  /** dueAtMono of every entry not being claimed, keyed by path. */
  const heap = new DueHeap();
  const perFolder = new Map<string, number>();
  const byDue = (a: GraceEntry, b: GraceEntry): number =>
    a.dueAtMono - b.dueAtMono || (a.path < b.path ? -1 : 1);
  /** How long ago (monotonic) a wall-clock instant was: never negative (a future mtime is now). */
  const ago = (wallMs: number, now: Instant): number => Math.max(0, now.wall - wallMs);
  const copy = (e: GraceEntry, now: Instant | undefined): GraceEntry =>
    now ? { ...e, dueAt: now.wall + (e.dueAtMono - now.mono) } : { ...e };
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
    observe(path, file, at) {
      const now = instant(at);
      const kind = file.kind ?? 'file';
      const prev = entries.get(path);
      if (prev === undefined) {
        const dueAtMono = now.mono - ago(file.mtimeMs, now) + graceMs;
        const e: GraceEntry = {
          path,
          folder: file.folder ?? '',
          kind,
          size: file.size,
          mtimeMs: file.mtimeMs,
          ino: file.ino,
          firstSeenAt: now.wall,
          dueAt: now.wall + (dueAtMono - now.mono),
          dueAtMono,
          claiming: false,
          ...(file.rawPath ? { rawPath: file.rawPath } : {}),
        };
        entries.set(path, e);
        heap.set(path, e.dueAtMono);
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
      const basis = file.mtimeMs > prev.mtimeMs ? now.mono - ago(file.mtimeMs, now) : now.mono;
      const dueAtMono = Math.max(basis + graceMs, prev.dueAtMono);
      const next: GraceEntry = {
        ...prev,
        kind,
        size: file.size,
        mtimeMs: file.mtimeMs,
        ino: file.ino,
        folder: file.folder ?? prev.folder,
        dueAt: now.wall + (dueAtMono - now.mono),
        dueAtMono,
      };
      countFolder(prev.folder, -1);
      countFolder(next.folder, 1);
      entries.set(path, next);
      heap.set(path, next.dueAtMono);
      return 'restarted';
    },
    gone(path) {
      const e = entries.get(path);
      if (e === undefined || e.claiming) return false;
      forget(e);
      return true;
    },
    due(at, limit = Infinity) {
      const now = instant(at);
      // Taken off the heap in order, then put back: they stay due until begun or gone.
      const out: GraceEntry[] = [];
      for (let path; out.length < limit && (path = heap.popDue(now.mono)) !== undefined;) {
        const e = entries.get(path);
        if (e !== undefined) out.push(e);
      }
      for (const e of out) heap.set(e.path, e.dueAtMono);
      return out.map((e) => copy(e, now));
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
        e.dueAt += outcome - e.dueAtMono;
        e.dueAtMono = outcome;
        heap.set(path, outcome);
      }
    },
    has: (path) => entries.has(path),
    paths: () => [...entries.keys()],
    pathsIn: (folder) =>
      [...entries.values()].filter((e) => e.folder === folder).map((e) => e.path),
    count: (folder) => (folder === undefined ? entries.size : (perFolder.get(folder) ?? 0)),
    snapshot: (at) => {
      const now = at === undefined ? undefined : instant(at);
      return [...entries.values()].sort(byDue).map((e) => copy(e, now));
    },
  };
}
