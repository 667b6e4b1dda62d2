import { describe, it, expect } from 'vitest';
import { makeGraceTracker } from '../../src/spool/grace-tracker.js';

const GRACE = 120_000;
const T0 = 1_800_000_000_000;

describe('grace tracker', () => {
  it('makes a new file due one grace period after its last modification', () => {
    const t = makeGraceTracker(GRACE);
    expect(t.observe('/s/a.json', { size: 10, mtimeMs: T0, folder: '/s' }, T0 + 1_000)).toBe('new');
    expect(t.nextDueAt()).toBe(T0 + GRACE);
    expect(t.due(T0 + GRACE - 1)).toEqual([]);
    expect(t.due(T0 + GRACE).map((e) => e.path)).toEqual(['/s/a.json']);
  });

  it('reports the same unchanged file twice as one entry', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/a', { size: 10, mtimeMs: T0 }, T0);
    expect(t.observe('/s/a', { size: 10, mtimeMs: T0 }, T0 + 5_000)).toBe('unchanged');
    expect(t.snapshot()).toHaveLength(1);
    expect(t.snapshot()[0]).toMatchObject({ firstSeenAt: T0, dueAt: T0 + GRACE, size: 10 });
  });

  it('restarts the timer when the file changes', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/a', { size: 10, mtimeMs: T0 }, T0);
    expect(t.observe('/s/a', { size: 20, mtimeMs: T0 + 60_000 }, T0 + 60_500)).toBe('restarted');
    expect(t.due(T0 + GRACE)).toEqual([]);
    expect(t.nextDueAt()).toBe(T0 + 60_000 + GRACE);
    expect(t.snapshot()[0]).toMatchObject({ firstSeenAt: T0, size: 20 });
  });

  it('restarts from now when the size changes under the same (coarse) mtime', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/a', { size: 10, mtimeMs: T0 }, T0);
    t.observe('/s/a', { size: 11, mtimeMs: T0 }, T0 + 30_000);
    expect(t.nextDueAt()).toBe(T0 + 30_000 + GRACE);
  });

  it('treats a replaced file (new inode) or a new kind as a change', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/a', { size: 10, mtimeMs: T0, ino: 1 }, T0);
    expect(t.observe('/s/a', { size: 10, mtimeMs: T0, ino: 2 }, T0 + 1)).toBe('restarted');
    expect(t.observe('/s/a', { size: 10, mtimeMs: T0, ino: 2, kind: 'notRegular' }, T0 + 2)).toBe(
      'restarted',
    );
    expect(t.snapshot()[0]?.kind).toBe('notRegular');
  });

  it('counts a modification time in the future as now', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/a', { size: 1, mtimeMs: T0 + 3_600_000 }, T0);
    expect(t.nextDueAt()).toBe(T0 + GRACE);
  });

  it('keeps the clock across a daemon restart: an old file is due at once', () => {
    const before = makeGraceTracker(GRACE);
    before.observe('/s/a', { size: 1, mtimeMs: T0 }, T0 + 100_000);
    // The daemon restarts 10 s later: a fresh tracker sees the same file.
    const after = makeGraceTracker(GRACE);
    after.observe('/s/a', { size: 1, mtimeMs: T0 }, T0 + 110_000);
    expect(after.nextDueAt()).toBe(before.nextDueAt());
    expect(after.due(T0 + GRACE)).toHaveLength(1);
    const stale = makeGraceTracker(GRACE);
    stale.observe('/s/old', { size: 1, mtimeMs: T0 - 86_400_000 }, T0);
    expect(stale.due(T0).map((e) => e.path)).toEqual(['/s/old']);
  });

  it('reports cleared only for files it tracked', () => {
    const t = makeGraceTracker(GRACE);
    expect(t.gone('/s/never')).toBe(false);
    t.observe('/s/a', { size: 1, mtimeMs: T0 }, T0);
    expect(t.gone('/s/a')).toBe(true);
    expect(t.gone('/s/a')).toBe(false);
    expect(t.nextDueAt()).toBeUndefined();
  });

  it('hides an entry being claimed from due() and gone(), and forgets or postpones it on settle', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/a', { size: 1, mtimeMs: T0 }, T0);
    t.observe('/s/b', { size: 1, mtimeMs: T0 }, T0);
    expect(t.begin('/s/a')).toBe(true);
    expect(t.begin('/s/a')).toBe(false);
    expect(t.due(T0 + GRACE).map((e) => e.path)).toEqual(['/s/b']);
    expect(t.gone('/s/a')).toBe(false);
    expect(t.observe('/s/a', { size: 2, mtimeMs: T0 + 1 }, T0 + 1)).toBe('claiming');
    t.settle('/s/a', T0 + GRACE + 5_000);
    expect(t.due(T0 + GRACE).map((e) => e.path)).toEqual(['/s/b']);
    expect(t.due(T0 + GRACE + 5_000).map((e) => e.path)).toEqual(['/s/b', '/s/a']);
    t.begin('/s/b');
    t.settle('/s/b', 'done');
    expect(t.has('/s/b')).toBe(false);
    expect(t.paths()).toEqual(['/s/a']);
  });

  it('returns copies: callers cannot change tracked state', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/a', { size: 1, mtimeMs: T0 }, T0);
    const [e] = t.snapshot();
    if (e) e.dueAt = 0;
    expect(t.nextDueAt()).toBe(T0 + GRACE);
  });

  it('counts files per folder and hands out due files in order, a batch at a time', () => {
    const t = makeGraceTracker(0);
    // Inserted in scrambled order: due() must still give earliest first, then by path.
    const n = 1_000;
    for (let i = 0; i < n; i++) {
      const k = (i * 7919) % n;
      t.observe(`/a/f${String(k).padStart(4, '0')}`, { size: 1, mtimeMs: T0 + (k % 10), folder: '/a' }, T0 + 100); // prettier-ignore
    }
    t.observe('/b/x', { size: 1, mtimeMs: T0, folder: '/b' }, T0 + 100);
    expect(t.count('/a')).toBe(n);
    expect(t.count('/b')).toBe(1);
    expect(t.count()).toBe(n + 1);
    const first = t.due(T0 + 100, 64);
    expect(first).toHaveLength(64);
    const all = t.due(T0 + 100);
    expect(all).toHaveLength(n + 1);
    expect(all.slice(0, 64)).toEqual(first);
    const sorted = [...all].sort((a, b) => a.dueAt - b.dueAt || (a.path < b.path ? -1 : 1));
    expect(all.map((e) => e.path)).toEqual(sorted.map((e) => e.path));
    // Claimed and forgotten files leave the counts and the due list.
    for (const e of first) {
      t.begin(e.path);
      t.settle(e.path, 'done');
    }
    expect(t.count()).toBe(n + 1 - 64);
    expect(t.due(T0 + 100)).toEqual(all.slice(64));
    expect(t.pathsIn('/b')).toEqual(['/b/x']);
    t.gone('/b/x');
    expect(t.count('/b')).toBe(0);
    expect(t.nextDueAt()).toBe(all[64]?.dueAt);
  });
});

describe('issue 10.4: grace is measured on the monotonic clock', () => {
  const GRACE = 120_000;
  const W = Date.parse('2026-11-24T10:00:00Z');
  const HOUR = 3_600_000;

  it('a wall clock set back three hours does not hold a file seen before the jump', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/a', { size: 1, mtimeMs: W }, { wall: W, mono: 0 });
    // Two minutes later on the monotonic clock, the wall clock three hours back.
    const later = { wall: W - 3 * HOUR + GRACE, mono: GRACE };
    expect(t.observe('/s/a', { size: 1, mtimeMs: W }, later)).toBe('unchanged');
    expect(t.due(later).map((e) => e.path)).toEqual(['/s/a']);
    expect(t.nextDueAt()).toBe(GRACE);
  });

  it('files found at start keep "from mtime": an old file is due at once, a recent one for the rest', () => {
    const t = makeGraceTracker(GRACE);
    const now = { wall: W, mono: 5000 };
    t.observe('/s/old', { size: 1, mtimeMs: W - HOUR }, now);
    t.observe('/s/recent', { size: 1, mtimeMs: W - 30_000 }, now);
    expect(t.due(now).map((e) => e.path)).toEqual(['/s/old']);
    expect(t.snapshot(now).find((e) => e.path === '/s/recent')).toMatchObject({
      dueAtMono: 5000 + 90_000,
      dueAt: W + 90_000,
    });
  });

  it('an mtime in the future (the clock went back before the file was seen) counts as now', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/f', { size: 1, mtimeMs: W + 3 * HOUR }, { wall: W, mono: 0 });
    expect(t.due({ wall: W + GRACE - 1, mono: GRACE - 1 })).toEqual([]);
    expect(t.due({ wall: W + GRACE, mono: GRACE })).toHaveLength(1);
  });

  it('status sees the due time in the wall clock of the moment it asks', () => {
    const t = makeGraceTracker(GRACE);
    t.observe('/s/a', { size: 1, mtimeMs: W }, { wall: W, mono: 0 });
    const after = { wall: W - 3 * HOUR + 1000, mono: 1000 };
    expect(t.snapshot(after)[0]!.dueAt).toBe(after.wall + GRACE - 1000);
  });
});
