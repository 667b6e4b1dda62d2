/**
 * The files in their grace period, as the monitor's parts share them: the pure grace tracker
 * (grace-tracker.ts) with the clock read for it, and the `detected`/`cleared` news it gives.
 */
import { monotonicNow, type Clock } from '../clock.js';
import {
  makeGraceTracker,
  type GraceTracker,
  type Instant,
  type ObserveResult,
} from './grace-tracker.js';
import type { ScannedEntry } from './scan-folder.js';

export interface TrackedFilesDeps {
  graceMs: number;
  clock: Clock;
  /** A new file entered its grace period (`spool.detected`). */
  onDetected(path: string): void;
  /** A tracked file left before its grace ended: the client handled it (`spool.cleared`). */
  onCleared(path: string): void;
}

export interface TrackedFiles {
  tracker: GraceTracker;
  /** The monotonic clock, on which grace is measured. */
  mono(): number;
  /** Both clocks, read together: mtimes are read against the wall clock. */
  at(): Instant;
  /** Tracks what an `lstat` found (a change restarts the file's grace period). */
  track(folder: string, e: ScannedEntry): ObserveResult;
  /** The file is gone from its folder. */
  clear(path: string): void;
  /** Every file of `folder` is gone, but those in `keep`. */
  clearFolder(folder: string, keep?: Set<string>): void;
}

export function makeTrackedFiles(deps: TrackedFilesDeps): TrackedFiles {
  const { clock } = deps;
  const tracker = makeGraceTracker(deps.graceMs);
  // Grace is measured on the monotonic clock (grace-tracker.ts); mtimes are read against the wall.
  const mono = (): number => monotonicNow(clock);
  const at = (): Instant => ({ wall: clock.now(), mono: mono() });
  const clear = (path: string): void => {
    if (tracker.gone(path)) deps.onCleared(path);
  };
  return {
    tracker,
    mono,
    at,
    track(folder, e) {
      const kind = e.class === 'candidate' ? 'file' : 'notRegular';
      const r = tracker.observe(
        e.path,
        {
          size: e.size,
          mtimeMs: e.mtimeMs,
          ino: e.ino,
          kind,
          folder,
          ...(e.rawPath ? { rawPath: e.rawPath } : {}),
        },
        at(),
      );
      if (r === 'new') deps.onDetected(e.path);
      return r;
    },
    clear,
    clearFolder(folder, keep = new Set()) {
      for (const path of tracker.pathsIn(folder)) if (!keep.has(path)) clear(path);
    },
  };
}
