import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { readGraceFiles } from '../../src/daemon/daemon-state.js';
import { publishDaemonState } from '../../src/daemon/publish-state.js';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import type { GraceEntry } from '../../src/spool/grace-tracker.js';

/** Timers run only when the test says so. */
function manualClock(): Clock & { pending: () => number; fire: () => void } {
  const timers = new Map<number, () => void>();
  let next = 0;
  return {
    now: () => 1_700_000_000_000,
    setTimeout: (fn) => {
      timers.set(++next, fn);
      return next;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    pending: () => timers.size,
    fire: () => {
      const all = [...timers.values()];
      timers.clear();
      for (const fn of all) fn();
    },
  };
}

/** The real file system, with writes that fail (ENOSPC) while `full` is set; counts writes. */
function diskThatFills(): FsLike & { full: boolean; writes: number } {
  const fs = {
    ...realFs,
    full: false,
    writes: 0,
    writeFile: (async (...args: Parameters<typeof realFs.writeFile>) => {
      fs.writes++;
      if (fs.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); // prettier-ignore
      return realFs.writeFile(...args);
    }) as typeof realFs.writeFile,
  };
  return fs;
}

const entry = (name: string): Pick<GraceEntry, 'path' | 'firstSeenAt' | 'dueAt' | 'size'> => ({
  path: `/spool/${name}`,
  size: 10,
  firstSeenAt: 1_700_000_000_000,
  dueAt: 1_700_000_120_000,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imspooler-publish-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const settle = () => new Promise((r) => setTimeout(r, 50));
const info = { pid: process.pid, startedAt: '2026-12-02T00:00:00.000Z', version: 't', transport: 'sandbox', spoolFolders: [] }; // prettier-ignore

describe('issue 10.8: grace.json is right after a failed write, and written on change only', () => {
  it('a failed write never leaves files that are gone on show, and is retried until it lands', async () => {
    const fs = diskThatFills();
    const clock = manualClock();
    let grace = [entry('a.json'), entry('b.json')];
    const trouble: (string | undefined)[] = [];
    const pub = await publishDaemonState({ fs, clock, stateDir: dir, info, graceSnapshot: () => grace, problems: () => [], onGraceTrouble: (p) => trouble.push(p) }); // prettier-ignore
    expect((await readGraceFiles(dir)).map((g) => g.path)).toEqual(['/spool/a.json', '/spool/b.json']); // prettier-ignore

    // The client handles both files while the state volume is full: the write fails.
    fs.full = true;
    grace = [];
    pub.graceChanged();
    await settle();
    expect(await readGraceFiles(dir)).toEqual([]); // not a.json and b.json, which are gone
    expect(trouble).toEqual([expect.stringMatching(/cannot write .*grace\.json \(ENOSPC.*trying again in 1 s/)]); // prettier-ignore
    expect(clock.pending()).toBe(1);

    // Nothing changes afterwards; space comes back: the retry writes the current set.
    fs.full = false;
    grace = [entry('c.json')];
    clock.fire();
    await settle();
    expect((await readGraceFiles(dir)).map((g) => g.path)).toEqual(['/spool/c.json']);
    expect(trouble.at(-1)).toBeUndefined();
    expect(clock.pending()).toBe(0);
    await pub.unpublish();
  });

  it('writes only when the set changed, and keeps no timer while idle', async () => {
    const fs = diskThatFills();
    const clock = manualClock();
    let grace = [entry('a.json')];
    const pub = await publishDaemonState({ fs, clock, stateDir: dir, info, graceSnapshot: () => grace, problems: () => [] }); // prettier-ignore
    const after = fs.writes;
    for (let i = 0; i < 50; i++) pub.graceChanged();
    await settle();
    expect(fs.writes).toBe(after);
    expect(clock.pending()).toBe(0);
    grace = [];
    pub.graceChanged();
    await settle();
    expect(fs.writes).toBe(after + 1);
    expect(await readFile(join(dir, 'grace.json'), 'utf8')).toBe('[]');
    await pub.unpublish();
  });
});
