import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  makeSpoolMonitor,
  type DueEntry,
  type SpoolMonitor,
  type SpoolMonitorDeps,
} from '../../src/spool/spool-monitor.js';
import { claimFile } from '../../src/spool/claim.js';
import { realFs } from '../../src/platform/fs-seam.js';
import { systemClock, type Clock } from '../../src/clock.js';
import type { WatchListener } from '../../src/spool/folder-watch.js';

const GRACE = 300;

/** Polls until `cond` holds, failing after `ms`: no fixed sleeps for conditions. */
async function waitFor(
  cond: () => boolean | Promise<boolean>,
  ms = 2_500,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let dir: string;
let spool: string;
let queue: string;
let monitor: SpoolMonitor | undefined;
let detected: string[];
let cleared: string[];
let due: (DueEntry & { at: number })[];
let problems: { folder: string; code: string | undefined }[];
let timers: number;

/** The real clock, counting the timers the monitor sets (to show it does not poll). */
const countingClock: Clock = {
  now: () => systemClock.now(),
  setTimeout: (fn, ms) => {
    timers++;
    return systemClock.setTimeout(fn, ms);
  },
  clearTimeout: (h) => systemClock.clearTimeout(h),
};

function start(over: Partial<SpoolMonitorDeps> = {}): Promise<void> {
  monitor = makeSpoolMonitor({
    paths: [spool],
    graceMs: GRACE,
    rescanMs: 60_000,
    clock: countingClock,
    fs: realFs,
    env: {},
    platform: process.platform,
    onDetected: (p) => detected.push(p),
    onCleared: (p) => cleared.push(p),
    onDue: async (e) => {
      due.push({ ...e, at: Date.now() });
      // Like the daemon: take the file out of the folder.
      await claimFile(realFs, e.path, path.join(queue, `${due.length}-${path.basename(e.path)}`));
    },
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
    const written = (await fsp.stat(file)).mtimeMs;
    await waitFor(() => detected.length === 1, 2_500, 'detection');
    expect(monitor?.snapshot()).toMatchObject([{ path: file, size: 2 }]);
    await waitFor(() => due.length === 1, 2_500, 'due');
    expect(due[0]).toMatchObject({ path: file, folder: spool, kind: 'file', size: 2 });
    expect(due[0]!.at - written).toBeGreaterThanOrEqual(GRACE - 20);
    await monitor?.rescanNow();
    expect(due).toHaveLength(1);
    expect(detected).toEqual([file]);
    expect(cleared).toEqual([]);
    expect(monitor?.snapshot()).toEqual([]);
    // One timer per due time and the rescan timer, not a polling loop.
    expect(timers).toBeLessThan(10);
  });

  it('does not take a file that changed within its grace period early', async () => {
    await start();
    const file = path.join(spool, 'b.json');
    await fsp.writeFile(file, '{"a":');
    await waitFor(() => detected.length === 1);
    await pause(GRACE / 2);
    await fsp.appendFile(file, '1}');
    const lastWrite = (await fsp.stat(file)).mtimeMs;
    await waitFor(() => due.length === 1);
    expect(due[0]!.size).toBe(7);
    expect(due[0]!.at - lastWrite).toBeGreaterThanOrEqual(GRACE - 20);
    expect(detected).toHaveLength(1);
  });

  it('reports a file deleted within its grace period as cleared and never hands it over', async () => {
    await start();
    const file = path.join(spool, 'c.json');
    await fsp.writeFile(file, '{}');
    const written = Date.now();
    await waitFor(() => detected.length === 1);
    await fsp.unlink(file);
    await waitFor(() => cleared.length === 1);
    expect(cleared).toEqual([file]);
    await waitFor(() => Date.now() > written + GRACE + 100);
    await monitor?.rescanNow();
    expect(due).toEqual([]);
    expect(cleared).toHaveLength(1);
  });

  it('reports a symlink as not regular and moves the link, not its target', async () => {
    const target = path.join(dir, 'outside.json');
    await fsp.writeFile(target, '{"secret":true}');
    await start();
    await fsp.symlink(target, path.join(spool, 'link.json'));
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
    expect(monitor?.folders()[0]).toMatchObject({ state: 'ok', watching: true });
    await waitFor(() => due.length === 1);
    // The watcher now sees new files without waiting for a rescan.
    await fsp.writeFile(path.join(later, 'f.json'), '{}');
    await waitFor(() => due.length === 2);
  });

  it('finds a new sip_* profile under auto while running', async () => {
    const lync = path.join(dir, 'Microsoft', 'Office', '16.0', 'Lync');
    await fsp.mkdir(lync, { recursive: true });
    await start({ paths: ['auto'], env: { LOCALAPPDATA: dir }, rescanMs: 500 });
    expect(monitor?.folders()).toEqual([]);
    const hs = path.join(lync, 'sip_alice@contoso.com', 'History Spooler');
    await fsp.mkdir(hs, { recursive: true });
    await fsp.writeFile(path.join(hs, 'g.json'), '{}');
    await waitFor(() => due.length === 1);
    expect(due[0]).toMatchObject({ folder: hs, path: path.join(hs, 'g.json') });
  });

  it('hands over an old file at once after a daemon restart (the clock runs from mtime)', async () => {
    const file = path.join(spool, 'old.json');
    await fsp.writeFile(file, '{}');
    const past = new Date(Date.now() - 120_000);
    await fsp.utimes(file, past, past);
    const t0 = Date.now();
    await start({ graceMs: 60_000 });
    await waitFor(() => due.length === 1);
    expect(due[0]!.at - t0).toBeLessThan(1_000);
  });

  it('keeps a file whose claim failed and tries it again', async () => {
    let calls = 0;
    await start({
      retryMs: 100,
      onDue: async (e) => {
        calls++;
        if (calls === 1) throw new Error('queue full');
        due.push({ ...e, at: Date.now() });
        await fsp.unlink(e.path);
      },
    });
    await fsp.writeFile(path.join(spool, 'h.json'), '{}');
    await waitFor(() => due.length === 1);
    expect(calls).toBe(2);
    expect(detected).toHaveLength(1);
    expect(cleared).toEqual([]);
  });

  it('hands over each file of a burst of 200 exactly once', async () => {
    await start();
    const names = Array.from({ length: 200 }, (_, i) => `m${String(i).padStart(3, '0')}.json`);
    await Promise.all(names.map((n) => fsp.writeFile(path.join(spool, n), `{"n":"${n}"}`)));
    await waitFor(() => due.length === 200, 2_800, '200 due');
    await monitor?.rescanNow();
    expect(due.map((d) => path.basename(d.path)).sort()).toEqual(names);
    expect(new Set(detected).size).toBe(200);
    expect(detected).toHaveLength(200);
    expect(cleared).toEqual([]);
    expect(await fsp.readdir(spool)).toEqual([]);
  });

  it('stops watching on stop()', async () => {
    await start();
    await monitor?.stop();
    await fsp.writeFile(path.join(spool, 'i.json'), '{}');
    await pause(100);
    expect(detected).toEqual([]);
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
    await waitFor(() => detected.length === 2, 2_500, 'detection');
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
        due.push({ ...e, at: Date.now() });
        await claimFile(realFs, e.path, path.join(queue, `${due.length}-${path.basename(e.path)}`));
        inFlight--;
      },
    });
    expect(opened).toEqual([spool]);
    const names = Array.from({ length: 40 }, (_, i) => `b${String(i).padStart(2, '0')}.json`);
    await Promise.all(names.map((n) => fsp.writeFile(path.join(spool, n), `{"n":"${n}"}`)));
    const emit = listeners.get(spool)!;
    for (const n of names) emit('add', n);
    await waitFor(() => closed === 1, 2_500, 'the watcher to be closed');
    // Not watched now: a file arriving is found by the monitor's own listing.
    await fsp.writeFile(path.join(spool, 'late.json'), '{}');
    await waitFor(() => due.length === 41, 5_000, 'every file handed over');
    await waitFor(() => opened.length === 2, 2_500, 'watching again');
    expect(due.map((d) => path.basename(d.path)).sort()).toEqual([...names, 'late.json'].sort());
    expect(detected).toHaveLength(41);
    expect(cleared).toEqual([]);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(monitor?.folders()).toEqual([{ path: spool, state: 'ok', watching: true }]);
  });
});
