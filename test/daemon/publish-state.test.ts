import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readGraceFiles, readProblems } from '../../src/daemon/daemon-state.js';
import { makeProblemBoard } from '../../src/daemon/problems.js';
import { GRACE_WRITE_INTERVAL_MS, publishDaemonState } from '../../src/daemon/publish-state.js';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import type { EventLog } from '../../src/log/event-log.js';
import type { GraceEntry } from '../../src/spool/grace-tracker.js';
import { manualClock } from '../support/manual-clock.js';

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); // prettier-ignore

/** The real file system, with writes that fail (ENOSPC) while `full` is set; counts writes. */
function diskThatFills(): FsLike & { full: boolean; writes: number } {
  const fs = {
    ...realFs,
    full: false,
    writes: 0,
    writeFile: (async (...args: Parameters<typeof realFs.writeFile>) => {
      fs.writes++;
      if (fs.full) throw enospc();
      return realFs.writeFile(...args);
    }) as typeof realFs.writeFile,
    // problems.json is rewritten in place through a handle.
    open: (async (...args: Parameters<typeof realFs.open>) => {
      if (fs.full && args[1] === 'r+') throw enospc();
      return realFs.open(...args);
    }) as typeof realFs.open,
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

const noProblems = { list: () => [], subscribe: () => () => {} };
const log: EventLog = { event: () => {}, diag: () => {}, close: async () => {} };
const info = { pid: process.pid, startedAt: '2026-12-02T00:00:00.000Z', version: 't', transport: 'sandbox', spoolFolders: [] }; // prettier-ignore

describe('issue 10.8: grace.json is right after a failed write, and written on change only', () => {
  it('a failed write never leaves files that are gone on show, and is retried until it lands', async () => {
    const fs = diskThatFills();
    const t = manualClock();
    const clock = t.clock;
    let grace = [entry('a.json'), entry('b.json')];
    const trouble: (string | undefined)[] = [];
    const pub = await publishDaemonState({ fs, clock, stateDir: dir, info, graceSnapshot: () => grace, problems: noProblems, onGraceTrouble: (p) => trouble.push(p) }); // prettier-ignore
    expect((await readGraceFiles(dir)).map((g) => g.path)).toEqual(['/spool/a.json', '/spool/b.json']); // prettier-ignore

    // The client handles both files while the state volume is full: the write fails.
    fs.full = true;
    grace = [];
    pub.graceChanged();
    await pub.idle();
    expect(await readGraceFiles(dir)).toEqual([]); // not a.json and b.json, which are gone
    expect(trouble).toEqual([expect.stringMatching(/cannot write .*grace\.json \(ENOSPC.*trying again in 1 s/)]); // prettier-ignore
    expect(t.pending()).toBe(1);

    // Nothing changes afterwards; space comes back: the retry writes the current set.
    fs.full = false;
    grace = [entry('c.json')];
    await t.advance(1000);
    await pub.idle();
    expect((await readGraceFiles(dir)).map((g) => g.path)).toEqual(['/spool/c.json']);
    expect(trouble.at(-1)).toBeUndefined();
    expect(t.pending()).toBe(0);
    await pub.unpublish();
  });

  it('writes only when the set changed, and keeps no timer while idle', async () => {
    const fs = diskThatFills();
    const t = manualClock();
    const clock = t.clock;
    let grace = [entry('a.json')];
    const pub = await publishDaemonState({ fs, clock, stateDir: dir, info, graceSnapshot: () => grace, problems: noProblems }); // prettier-ignore
    const after = fs.writes;
    for (let i = 0; i < 50; i++) pub.graceChanged();
    await pub.idle();
    expect(fs.writes).toBe(after);
    expect(t.pending()).toBe(0);
    grace = [];
    pub.graceChanged();
    await pub.idle();
    expect(fs.writes).toBe(after + 1);
    expect(await readFile(join(dir, 'grace.json'), 'utf8')).toBe('[]');
    await pub.unpublish();
  });
});

describe('issue 9.4: a burst of grace changes costs one grace.json write a second, not one per change', () => {
  it('the first change after a quiet spell is written at once, the rest of the burst once the interval is over, and idle() writes what waits', async () => {
    const fs = diskThatFills();
    const t = manualClock();
    let grace = [entry('a.json')];
    const pub = await publishDaemonState({ fs, clock: t.clock, stateDir: dir, info, graceSnapshot: () => grace, problems: noProblems }); // prettier-ignore
    const onDisk = async () => (await readGraceFiles(dir)).map((g) => g.path);
    const after = fs.writes;
    await t.advance(GRACE_WRITE_INTERVAL_MS);

    grace = [entry('a.json'), entry('b.json')];
    pub.graceChanged();
    expect(fs.writes).toBe(after + 1); // started at once, with no timer
    expect(t.pending()).toBe(0);
    await pub.idle();
    expect(await onDisk()).toEqual(['/spool/a.json', '/spool/b.json']);

    // Twenty changes in the next 0.9 s: nothing written, one timer waiting.
    for (let i = 0; i < 20; i++) {
      grace = [...grace, entry(`c${i}.json`)];
      pub.graceChanged();
      await t.advance((GRACE_WRITE_INTERVAL_MS * 0.9) / 20);
    }
    expect(fs.writes).toBe(after + 1);
    expect(t.pending()).toBe(1);
    expect(await onDisk()).toHaveLength(2);

    // The interval ends: the set as it is now is written, once, and no timer is left.
    await t.advance(GRACE_WRITE_INTERVAL_MS * 0.1);
    await pub.idle();
    expect(fs.writes).toBe(after + 2);
    expect(await onDisk()).toHaveLength(22);
    expect(t.pending()).toBe(0);

    // A change that waits out the interval is written by idle() without the clock moving.
    grace = [];
    pub.graceChanged();
    expect(t.pending()).toBe(1);
    await pub.idle();
    expect(fs.writes).toBe(after + 3);
    expect(await onDisk()).toEqual([]);
    expect(t.pending()).toBe(0);
    await pub.unpublish();
  });
});

describe('problems.json follows the problem board, with no timer while idle', () => {
  it('is rewritten when a problem appears, is seen again and is over', async () => {
    const fs = diskThatFills();
    const t = manualClock();
    const board = makeProblemBoard({ clock: t.clock, log });
    const pub = await publishDaemonState({ fs, clock: t.clock, stateDir: dir, info, graceSnapshot: () => [], problems: board }); // prettier-ignore
    expect(await readProblems(dir)).toEqual([]);
    const report = { subject: '/spool', code: 'EACCES', message: 'cannot read /spool' };
    board.report('folder:/spool', report);
    await pub.idle();
    expect(await readProblems(dir)).toMatchObject([{ kind: 'folder', code: 'EACCES', count: 1 }]);
    board.report('folder:/spool', report);
    await pub.idle();
    expect(await readProblems(dir)).toMatchObject([{ code: 'EACCES', count: 2 }]);
    board.resolve('folder:/spool');
    await pub.idle();
    expect(await readProblems(dir)).toEqual([]);
    expect(t.pending()).toBe(0);
    await pub.unpublish();
  });

  it('a rewrite that fails (a full volume) is tried again until it lands', async () => {
    const fs = diskThatFills();
    const t = manualClock();
    const board = makeProblemBoard({ clock: t.clock, log });
    const pub = await publishDaemonState({ fs, clock: t.clock, stateDir: dir, info, graceSnapshot: () => [], problems: board }); // prettier-ignore
    fs.full = true;
    board.report('state:write', { subject: dir, code: 'ENOSPC', message: 'the state volume is full' }); // prettier-ignore
    await pub.idle();
    expect(await readProblems(dir)).toEqual([]);
    expect(t.pending()).toBe(1);
    fs.full = false;
    await t.advance(1000);
    await pub.idle();
    expect(await readProblems(dir)).toMatchObject([{ code: 'ENOSPC' }]);
    expect(t.pending()).toBe(0);
    await pub.unpublish();
  });
});
