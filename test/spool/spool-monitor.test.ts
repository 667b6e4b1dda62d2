import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  makeSpoolMonitor,
  type SpoolMonitor,
  type SpoolMonitorDeps,
} from '../../src/spool/spool-monitor.js';
import type { DueEntry, TakeResult } from '../../src/spool/due-entry.js';
import { claimFile } from '../../src/spool/claim.js';
import { watchFolderChokidar } from '../../src/spool/chokidar-watch.js';
import { realFs } from '../../src/platform/fs-seam.js';
import type { Clock } from '../../src/clock.js';
import type { WatchFn, WatchListener } from '../../src/spool/folder-watch.js';
import { manualClock } from '../support/manual-clock.js';

/**
 * Real folders and the real chokidar; time is a manual clock, so a grace period, a retry or a
 * rescan passes only when the test advances it. What the file system and chokidar do takes real
 * time, so their outcomes are waited for (`waitFor`), never slept on.
 */
const GRACE = 300;

let dir: string;
let spool: string;
let queue: string;
let monitor: SpoolMonitor | undefined;
let detected: string[];
let cleared: string[];
let due: (DueEntry & { at: number })[];
let problems: { folder: string; code: string | undefined }[];
let timers: number;
let time: ReturnType<typeof manualClock>;
let clock: Clock;

/**
 * Polls until `cond` holds, failing after a few seconds of real time. Each poll fires the timers
 * due by then (`step` ms later on the manual clock: 0 lets time stand still).
 */
async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what = 'condition',
  step = 0,
): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await time.advance(step);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The daemon's part: take the file out of the folder, and say so. */
const takeIntoQueue = async (e: DueEntry): Promise<TakeResult> => {
  due.push({ ...e, at: clock.now() });
  const to = path.join(queue, `${due.length}-${path.basename(e.path)}`);
  expect(await claimFile(realFs, e.path, to)).toBe('claimed');
  return { kind: 'taken', as: 'queued', id: String(due.length) };
};

function start(over: Partial<SpoolMonitorDeps> = {}): Promise<void> {
  monitor = makeSpoolMonitor({
    paths: [spool],
    graceMs: GRACE,
    rescanMs: 60_000,
    clock,
    fs: realFs,
    env: {},
    platform: process.platform,
    onDetected: (p) => detected.push(p),
    onCleared: (p) => cleared.push(p),
    onDue: takeIntoQueue,
    onFolderProblem: (folder, error) => problems.push({ folder, code: error?.code }),
    ...over,
  });
  return monitor.start();
}

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(tmpdir(), 'imspooler-monitor-'));
  spool = path.join(dir, 'History Spooler');
  queue = path.join(dir, 'queue');
  await fsp.mkdir(spool);
  await fsp.mkdir(queue);
  detected = [];
  cleared = [];
  due = [];
  problems = [];
  timers = 0;
  // Starts at the real time, so files written now are not from the future or the past.
  time = manualClock(Date.now());
  // Counts the timers the monitor sets (to show it does not poll).
  clock = {
    ...time.clock,
    setTimeout: (fn, ms) => {
      timers++;
      return time.clock.setTimeout(fn, ms);
    },
  };
});
afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('spool monitor (real folders, real chokidar)', () => {
  it('hands a new file over once, after its grace period', async () => {
    await start();
    const file = path.join(spool, 'a.json');
    await fsp.writeFile(file, '{}');
    await waitFor(() => detected.length === 1, 'detection');
    const seen = clock.now();
    expect(monitor?.snapshot()).toMatchObject([{ path: file, size: 2, firstSeenAt: seen }]);
    await time.advance(GRACE - 1);
    expect(due).toEqual([]);
    await time.advance(1);
    await waitFor(() => due.length === 1, 'due');
    expect(due[0]).toMatchObject({ path: file, folder: spool, kind: 'file', size: 2 });
    expect(due[0]!.at - seen).toBe(GRACE);
    await waitFor(() => monitor?.snapshot().length === 0, 'the entry forgotten');
    await monitor?.rescanNow();
    expect(due).toHaveLength(1);
    expect(detected).toEqual([file]);
    expect(cleared).toEqual([]);
    // One timer per due time and the rescan timer, not a polling loop.
    expect(timers).toBeLessThan(10);
  });

  it('does not take a file that changed within its grace period early', async () => {
    await start();
    const file = path.join(spool, 'b.json');
    await fsp.writeFile(file, '{"a":');
    await waitFor(() => detected.length === 1);
    await time.advance(GRACE / 2);
    await fsp.appendFile(file, '1}');
    await waitFor(() => monitor?.snapshot()[0]?.size === 7, 'the change seen');
    const changed = clock.now();
    await time.advance(GRACE - 1);
    expect(due).toEqual([]);
    await time.advance(1);
    await waitFor(() => due.length === 1);
    expect(due[0]!.size).toBe(7);
    expect(due[0]!.at - changed).toBe(GRACE);
    expect(detected).toHaveLength(1);
  });

  it('reports a file deleted within its grace period as cleared and never hands it over', async () => {
    await start();
    const file = path.join(spool, 'c.json');
    await fsp.writeFile(file, '{}');
    await waitFor(() => detected.length === 1);
    await fsp.unlink(file);
    await waitFor(() => cleared.length === 1);
    expect(cleared).toEqual([file]);
    await time.advance(GRACE + 100);
    await monitor?.rescanNow();
    expect(due).toEqual([]);
    expect(cleared).toHaveLength(1);
  });

  it('reports a symlink as not regular and moves the link, not its target', async () => {
    const target = path.join(dir, 'outside.json');
    await fsp.writeFile(target, '{"secret":true}');
    await start();
    await fsp.symlink(target, path.join(spool, 'link.json'));
    await waitFor(() => detected.length === 1);
    await time.advance(GRACE);
    await waitFor(() => due.length === 1);
    expect(due[0]).toMatchObject({ path: path.join(spool, 'link.json'), kind: 'notRegular' });
    expect(await fsp.readFile(target, 'utf8')).toBe('{"secret":true}');
  });

  it('ignores temporary names until the file is renamed', async () => {
    await start();
    await fsp.writeFile(path.join(spool, 'd.tmp'), '{}');
    await fsp.writeFile(path.join(spool, '.partial'), '{}');
    await monitor?.rescanNow();
    expect(detected).toEqual([]);
    await fsp.rename(path.join(spool, 'd.tmp'), path.join(spool, 'd.json'));
    await waitFor(() => detected.length === 1);
    await time.advance(GRACE);
    await waitFor(() => due.length === 1);
    expect(due.map((d) => path.basename(d.path))).toEqual(['d.json']);
  });

  it('picks up a folder created after start', async () => {
    const later = path.join(dir, 'later');
    await start({ paths: [later] });
    expect(problems).toEqual([{ folder: later, code: 'ENOENT' }]);
    expect(monitor?.folders()).toEqual([{ path: later, state: 'missing', watching: false }]);
    await fsp.mkdir(later);
    await fsp.writeFile(path.join(later, 'e.json'), '{}');
    await monitor?.rescanNow();
    expect(detected).toEqual([path.join(later, 'e.json')]);
    expect(problems).toEqual([
      { folder: later, code: 'ENOENT' },
      { folder: later, code: undefined },
    ]);
    expect(monitor?.folders()[0]).toMatchObject({ state: 'ok', watching: true });
    await time.advance(GRACE);
    await waitFor(() => due.length === 1);
    // The watcher now sees new files without waiting for a rescan.
    await fsp.writeFile(path.join(later, 'f.json'), '{}');
    await waitFor(() => detected.length === 2);
    await time.advance(GRACE);
    await waitFor(() => due.length === 2);
  });

  it('finds a new sip_* profile under auto at the next rescan', async () => {
    const lync = path.join(dir, 'Microsoft', 'Office', '16.0', 'Lync');
    await fsp.mkdir(lync, { recursive: true });
    await start({ paths: ['auto'], env: { LOCALAPPDATA: dir }, rescanMs: 500 });
    expect(monitor?.folders()).toEqual([]);
    const hs = path.join(lync, 'sip_alice@contoso.com', 'History Spooler');
    await fsp.mkdir(hs, { recursive: true });
    await fsp.writeFile(path.join(hs, 'g.json'), '{}');
    // Found by the watch on Lync\ or, at the latest, by the rescan.
    await time.advance(500);
    await waitFor(() => detected.length === 1, 'the new profile');
    await time.advance(GRACE);
    await waitFor(() => due.length === 1);
    expect(due[0]).toMatchObject({ folder: hs, path: path.join(hs, 'g.json') });
  });

  it('hands over an old file at once after a daemon restart (the clock runs from mtime)', async () => {
    const file = path.join(spool, 'old.json');
    await fsp.writeFile(file, '{}');
    const past = new Date(clock.now() - 120_000);
    await fsp.utimes(file, past, past);
    const t0 = clock.now();
    await start({ graceMs: 60_000 });
    expect(due).toHaveLength(1);
    expect(due[0]!.at).toBe(t0);
  });

  it('hands over each file of a burst of 200 exactly once', async () => {
    await start();
    const names = Array.from({ length: 200 }, (_, i) => `m${String(i).padStart(3, '0')}.json`);
    await Promise.all(names.map((n) => fsp.writeFile(path.join(spool, n), `{"n":"${n}"}`)));
    await waitFor(() => detected.length === 200, '200 detected');
    await time.advance(GRACE);
    // 64 a turn: the next turn's timer is due at once, fired by waitFor.
    await waitFor(() => due.length === 200, '200 due');
    await monitor?.rescanNow();
    expect(due.map((d) => path.basename(d.path)).sort()).toEqual(names);
    expect(new Set(detected).size).toBe(200);
    expect(detected).toHaveLength(200);
    expect(cleared).toEqual([]);
    expect(await fsp.readdir(spool)).toEqual([]);
  });

  it('stops watching on stop()', async () => {
    let open = 0;
    const counting: WatchFn = async (d, l) => {
      const w = await watchFolderChokidar(d, l);
      open++;
      return { close: async () => void (await w.close(), open--) };
    };
    await start({ watch: counting });
    expect(open).toBe(1);
    await monitor?.stop();
    expect(open).toBe(0);
    await fsp.writeFile(path.join(spool, 'i.json'), '{}');
    await monitor?.rescanNow();
    await time.advance(GRACE + 60_000);
    expect(time.pending()).toBe(0);
    expect(detected).toEqual([]);
  });
});

describe('what the monitor does with what the taker answers', () => {
  /** A taker that answers `answers` in turn (then takes the file), recording every call. */
  function answering(...answers: (TakeResult | Error)[]) {
    const calls: DueEntry[] = [];
    const onDue = async (e: DueEntry): Promise<TakeResult> => {
      calls.push(e);
      const a = answers.shift();
      if (a instanceof Error) throw a;
      return a ?? takeIntoQueue(e);
    };
    return { calls, onDue };
  }
  const RETRY = 1_000;

  async function dropAndHandOver(name: string, taker: ReturnType<typeof answering>) {
    await start({ retryMs: RETRY, onDue: taker.onDue, watch: () => ({ close: async () => {} }) });
    await fsp.writeFile(path.join(spool, name), '{}');
    await monitor?.rescanNow();
    await time.advance(GRACE);
    await waitFor(
      () => taker.calls.length === 1 && !monitor!.snapshot()[0]?.claiming,
      'a hand-over',
    );
  }

  it('retry-later (locked): keeps the file, offers it again after retryMs, and it is taken then', async () => {
    const taker = answering({ kind: 'retry-later', reason: 'locked', code: 'SpoolFileLocked', message: 'locked' }); // prettier-ignore
    await dropAndHandOver('h.json', taker);
    expect(await fsp.readdir(spool)).toEqual(['h.json']);
    expect(monitor?.snapshot()).toMatchObject([{ path: path.join(spool, 'h.json'), claiming: false }]); // prettier-ignore
    await time.advance(RETRY - 1);
    expect(taker.calls).toHaveLength(1);
    await time.advance(1);
    await waitFor(() => due.length === 1, 'the second hand-over');
    expect(taker.calls).toHaveLength(2);
    expect(await fsp.readdir(spool)).toEqual([]);
    expect(await fsp.readdir(queue)).toEqual(['1-h.json']);
    expect(detected).toHaveLength(1);
    expect(cleared).toEqual([]);
  });

  it('an unexpected rejection is kept like retry-later, and not reported as cleared', async () => {
    const taker = answering(new Error('a bug'));
    await dropAndHandOver('j.json', taker);
    expect(monitor?.snapshot()).toHaveLength(1);
    await time.advance(RETRY);
    await waitFor(() => due.length === 1, 'the second hand-over');
    expect(await fsp.readdir(queue)).toEqual(['1-j.json']);
    expect(cleared).toEqual([]);
  });

  it('gone: forgets the file without calling it cleared (the taker said so)', async () => {
    const taker = answering({ kind: 'gone' });
    await dropAndHandOver('k.json', taker);
    expect(monitor?.snapshot()).toEqual([]);
    await time.advance(RETRY * 10);
    expect(taker.calls).toHaveLength(1);
    expect(cleared).toEqual([]);
  });

  it('kept (the queue full): forgets the file, which the taker holds now', async () => {
    const taker = answering({ kind: 'kept', code: 'ENOSPC', message: 'no space' });
    await dropAndHandOver('l.json', taker);
    expect(monitor?.snapshot()).toEqual([]);
    await time.advance(RETRY * 10);
    expect(taker.calls).toHaveLength(1);
  });

  it('does not hand over a file that vanished when its grace ended: cleared, not due', async () => {
    const taker = answering();
    await start({ retryMs: RETRY, onDue: taker.onDue, watch: () => ({ close: async () => {} }) });
    await fsp.writeFile(path.join(spool, 'm.json'), '{}');
    await monitor?.rescanNow();
    await fsp.unlink(path.join(spool, 'm.json'));
    await time.advance(GRACE);
    await waitFor(() => cleared.length === 1, 'cleared');
    expect(taker.calls).toEqual([]);
    expect(monitor?.snapshot()).toEqual([]);
  });
});

describe('spool monitor with a watcher that loses and repeats events', () => {
  it('finds files the watcher never reported and counts repeated events once', async () => {
    const listeners = new Map<string, WatchListener>();
    await start({
      watch: (d, l) => {
        listeners.set(d, l);
        return { close: async () => void listeners.delete(d) };
      },
    });
    const emit = listeners.get(spool)!;
    await fsp.writeFile(path.join(spool, 'lost.json'), '{}');
    await monitor?.rescanNow();
    expect(detected).toEqual([path.join(spool, 'lost.json')]);
    await fsp.writeFile(path.join(spool, 'twice.json'), '{}');
    emit('add', 'twice.json');
    emit('add', 'twice.json');
    emit('change', 'twice.json');
    emit('add', 'no-such-file.json');
    emit('error', null, new Error('watcher broke'));
    await waitFor(() => detected.length === 2, 'detection');
    await time.advance(GRACE);
    await waitFor(() => due.length === 2);
    await monitor?.rescanNow();
    expect(due.map((d) => path.basename(d.path)).sort()).toEqual(['lost.json', 'twice.json']);
    expect(detected).toHaveLength(2);
    expect(cleared).toEqual([]);
    await monitor?.stop();
    expect(listeners.size).toBe(0);
  });
});

describe('spool monitor with a folder of thousands of files', () => {
  it('stops watching a busy folder, lists it instead, takes every file once and watches again', async () => {
    const opened: string[] = [];
    let closed = 0;
    const listeners = new Map<string, WatchListener>();
    let inFlight = 0;
    let maxInFlight = 0;
    await start({
      busyFiles: 20,
      busyListMs: 20,
      dueConcurrency: 4,
      watch: (d, l) => {
        opened.push(d);
        listeners.set(d, l);
        return {
          close: async () => {
            closed++;
            listeners.delete(d);
          },
        };
      },
      onDue: async (e) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const r = await takeIntoQueue(e);
        inFlight--;
        return r;
      },
    });
    expect(opened).toEqual([spool]);
    const names = Array.from({ length: 40 }, (_, i) => `b${String(i).padStart(2, '0')}.json`);
    await Promise.all(names.map((n) => fsp.writeFile(path.join(spool, n), `{"n":"${n}"}`)));
    const emit = listeners.get(spool)!;
    for (const n of names) emit('add', n);
    await waitFor(() => closed === 1, 'the watcher to be closed');
    // Not watched now: a file arriving is found by the monitor's own listing, every 20 ms.
    await fsp.writeFile(path.join(spool, 'late.json'), '{}');
    await waitFor(() => detected.length === 41, 'every file seen', 20);
    await waitFor(() => due.length === 41, 'every file handed over', 20);
    await waitFor(() => opened.length === 2, 'watching again', 20);
    expect(due.map((d) => path.basename(d.path)).sort()).toEqual([...names, 'late.json'].sort());
    expect(detected).toHaveLength(41);
    expect(cleared).toEqual([]);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(monitor?.folders()).toEqual([{ path: spool, state: 'ok', watching: true }]);
  });
});
