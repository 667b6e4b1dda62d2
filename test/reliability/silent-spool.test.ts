import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusCommand } from '../../src/cli/commands/status.js';
import { systemClock } from '../../src/clock.js';
import type { DaemonObserver } from '../../src/daemon/daemon.js';
import { DEFAULT_HEALTH_THRESHOLDS } from '../../src/metrics/health.js';
import { makeHealthProbe } from '../../src/metrics/health-probe.js';
import { makeMetrics } from '../../src/metrics/metrics.js';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import type { StatusDoc } from '../../src/status/status-doc.js';
import { realSqliteError } from '../queue/helpers.js';
import { jsonItem, makeWorld, waitUntil, type DaemonProcess, type World } from '../e2e/harness.js';
import { errno, makeInProcessWorld, type InProcessWorld, type MemLine } from './in-process.js';
import { isAction, startDaemon, stopDaemon } from './helpers.js';

/**
 * Issue 10.1: conditions that stop the daemon from taking messages are never silent. Each is
 * logged as a warning naming the folder or file and what to do (once when it starts, again at
 * most every 15 minutes while it lasts, once when it is over), makes /healthz degraded with the
 * reason, and is listed by `status` (`problems` in --json, `problem:` lines in the table).
 */

let world: World | undefined;
let inproc: InProcessWorld | undefined;
afterEach(async () => {
  await world?.close();
  await inproc?.close();
  world = inproc = undefined;
});

async function healthz(base: string): Promise<{ status: number; body: { reasons: string[] } }> {
  const res = await fetch(`${base}/healthz`);
  return { status: res.status, body: (await res.json()) as { reasons: string[] } };
}

async function metricsBase(d: DaemonProcess): Promise<string> {
  const line = await d.waitForLine((l) => /health and metrics at/.test(l.message), 'metrics URL');
  return /(http:\/\/127\.0\.0\.1:\d+)/.exec(line.message)![1]!;
}

describe('issue 10.1: spool.paths "auto" that finds nothing is loud', () => {
  it('LOCALAPPDATA empty: a warning, /healthz degraded, status shows it; one line, not one per rescan', async () => {
    world = await makeWorld({
      spool: { paths: ['auto'], rescan: '300ms' },
      metrics: { listen: '127.0.0.1:0' },
    });
    const d = await startDaemon(world, { LOCALAPPDATA: '' });
    const base = await metricsBase(d);
    const warn = await d.waitForLine((l) => /watching no spool folder/.test(l.message), 'warning');
    expect(warn['log.level']).toBe('warn');
    expect(warn.message).toMatch(/LOCALAPPDATA/);
    expect(warn.message).toMatch(/spool\.paths/);

    const h = await healthz(base);
    expect(h.status).toBe(503);
    expect(h.body.reasons.join('\n')).toMatch(/watching no spool folder/);

    const doc = await waitUntil(async () => {
      const s = JSON.parse((await world!.cli('status', '--json')).stdout) as StatusDoc;
      return s.problems.length > 0 ? s : undefined;
    }, 'status problems');
    expect(doc!.problems).toEqual([
      expect.objectContaining({ code: 'NoSpoolFolder', message: warn.message }),
    ]);
    expect((await world.cli('status')).stdout).toMatch(/^problem: watching no spool folder/m);

    // Several rescans later: still one line (the next one comes after 15 minutes).
    await waitUntil(async () => {
      const s = JSON.parse((await world!.cli('status', '--json')).stdout) as StatusDoc;
      return (s.problems[0]?.count ?? 0) >= 4;
    }, 'four rescans');
    expect(d.lines.filter((l) => /watching no spool folder/.test(l.message))).toHaveLength(1);
    expect(await stopDaemon(d)).toBe(0);
  }, 40_000);

  it('LOCALAPPDATA with no profile yet: warned until a History Spooler appears, then resolved and delivered', async () => {
    world = await makeWorld({
      spool: { paths: ['auto'], rescan: '300ms' },
      metrics: { listen: '127.0.0.1:0' },
    });
    const appData = join(world.dir, 'AppData', 'Local');
    await fsp.mkdir(appData, { recursive: true });
    const d = await startDaemon(world, { LOCALAPPDATA: appData });
    const base = await metricsBase(d);
    const warn = await d.waitForLine((l) => /watching no spool folder/.test(l.message), 'warning');
    expect(warn.message).toContain(join(appData, 'Microsoft', 'Office', '16.0', 'Lync'));
    expect((await healthz(base)).status).toBe(503);

    const spool = join(appData, 'Microsoft', 'Office', '16.0', 'Lync', 'sip_alice@contoso.com', 'History Spooler'); // prettier-ignore
    await fsp.mkdir(spool, { recursive: true });
    await d.waitForLine((l) => /^resolved: watching no spool folder/.test(l.message), 'resolved');
    await fsp.writeFile(join(spool, 'x.json'), jsonItem(1, ['bob@contoso.com']));
    await d.waitForLine(isAction('delivery.succeeded'), 'delivery');
    expect((await healthz(base)).status).toBe(200);
    const s = JSON.parse((await world.cli('status', '--json')).stdout) as StatusDoc;
    expect(s.problems).toEqual([]);
    expect(await stopDaemon(d)).toBe(0);
  }, 40_000);
});

/** The daemon in this process with metrics and a health probe wired as `imspooler run` does. */
async function withHealth(
  fs: FsLike,
  storeHooks?: Parameters<typeof makeInProcessWorld>[0]['storeHooks'],
) {
  const metrics = makeMetrics({ clock: systemClock, processMetrics: false });
  const observer: DaemonObserver = {
    serverBackoff: (t) => metrics.setServerBackoff(t),
    queue: (stats, oldest) => metrics.setQueueStats(stats, oldest),
    folderProblem: (folder, problem) => metrics.noteFolderProblem(folder, problem),
    problems: (list) => metrics.setProblems(list),
  };
  const w = await makeInProcessWorld({ fs, observer, ...(storeHooks ? { storeHooks } : {}) });
  const health = makeHealthProbe({
    metrics,
    clock: systemClock,
    stateDir: w.stateDir,
    thresholds: DEFAULT_HEALTH_THRESHOLDS,
    diskUsage: async () => ({ free: 1e9, total: 2e9 }),
  });
  const status = async (json: boolean): Promise<string> => {
    let out = '';
    const ctx = {
      configFile: w.configPath,
      env: { REL_PASSWORD: 'x' },
      cwd: w.dir,
      out: (t: string) => (out += t),
      err: () => {},
    };
    await statusCommand(ctx, { json });
    return out;
  };
  return { w, health, status };
}

const warnings = (lines: MemLine[], re: RegExp) =>
  lines.filter((l) => l.level === 'warn' && re.test(l.message));

describe('issue 10.1: a spool folder the daemon may read but not change is loud', () => {
  it('one warning naming the folder and what to do, in /healthz and status; taken once writable', async () => {
    let readOnly = true;
    let refused = 0;
    const fs: FsLike = {
      ...realFs,
      // What Linux answers a non-root account moving a file out of an r-x folder.
      rename: async (from, to) => {
        if (readOnly && String(from).includes(`${'/'}spool${'/'}`)) {
          refused++;
          throw errno('EACCES', 'rename', String(from));
        }
        return realFs.rename(from, to);
      },
    };
    const t = await withHealth(fs);
    inproc = t.w;
    await inproc.start();
    await inproc.drop('ro.json', jsonItem(1, ['bob@contoso.com']));
    const folderRe = new RegExp(`cannot move ro\\.json out of ${inproc.spool.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`); // prettier-ignore
    await waitUntil(() => warnings(inproc!.lines, folderRe).length > 0, 'the warning');
    expect(warnings(inproc.lines, folderRe)[0]!.message).toMatch(/write access/);

    const h = await t.health();
    expect(h.status).toBe('degraded');
    expect(h.reasons.join('\n')).toMatch(folderRe);
    const doc = await waitUntil(async () => {
      const s = JSON.parse(await t.status(true)) as StatusDoc;
      return s.problems.length > 0 ? s : undefined;
    }, 'status problems');
    expect(doc!.problems[0]).toMatchObject({ subject: inproc.spool, code: 'SpoolFileLocked' });
    expect(await t.status(false)).toMatch(/^problem: cannot move ro\.json out of/m);

    // Tried again and again (each try is five renames), still one line.
    await waitUntil(() => refused >= 15, 'three more tries', 20_000);
    expect(warnings(inproc.lines, folderRe)).toHaveLength(1);

    readOnly = false;
    await waitUntil(() => inproc!.actions('delivery.succeeded').length === 1, 'delivery');
    expect(inproc.lines.some((l) => l.level === 'info' && /^resolved: cannot move/.test(l.message))).toBe(true); // prettier-ignore
    expect((await t.health()).status).toBe('ok');
    await waitUntil(async () => (JSON.parse(await t.status(true)) as StatusDoc).problems.length === 0, 'status clear'); // prettier-ignore
  }, 40_000);
});

describe('issue 10.1: a full state volume is loud', () => {
  it('one warning naming the state folder, in /healthz and status (even with no room to write); all delivered when space returns', async () => {
    let full = false;
    let hits = 0;
    const underState = (p: unknown) => String(p).includes(`${'/'}state${'/'}`);
    const fs: FsLike = {
      ...realFs,
      writeFile: (async (p: Parameters<FsLike['writeFile']>[0], ...rest: unknown[]) => {
        if (full && underState(p)) {
          hits++;
          throw errno('ENOSPC', 'write', String(p));
        }
        return (realFs.writeFile as (...a: unknown[]) => Promise<void>)(p, ...rest);
      }) as FsLike['writeFile'],
      copyFile: async (from, to, mode) => {
        if (full && underState(to)) {
          hits++;
          throw errno('ENOSPC', 'copyfile', String(to));
        }
        return realFs.copyFile(from, to, mode);
      },
    };
    // The queue database's commits fail as SQLite fails on a full disk (SQLITE_FULL).
    const storeHooks = {
      beforeCommit: () => {
        if (!full) return;
        hits++;
        throw realSqliteError('full');
      },
    };
    const t = await withHealth(fs, storeHooks);
    inproc = t.w;
    await inproc.start();
    full = true;
    for (let i = 0; i < 3; i++)
      await inproc.drop(`full-${i}.json`, jsonItem(20 + i, ['bob@contoso.com']));
    const re = /^no space left for the state folder/;
    await waitUntil(() => warnings(inproc!.lines, re).length > 0, 'the warning');
    expect(warnings(inproc.lines, re)[0]!.message).toContain(inproc.stateDir);
    expect((await t.health()).reasons.join('\n')).toMatch(re);
    const doc = await waitUntil(async () => {
      const s = JSON.parse(await t.status(true)) as StatusDoc;
      return s.problems.length > 0 ? s : undefined;
    }, 'status problems');
    expect(doc!.problems[0]).toMatchObject({ subject: inproc.stateDir, code: 'SQLITE_FULL' });
    await waitUntil(() => hits >= 6, 'repeated write attempts');
    expect(warnings(inproc.lines, re)).toHaveLength(1);

    full = false;
    await waitUntil(() => inproc!.actions('delivery.succeeded').length === 3, 'all delivered');
    expect((await t.health()).status).toBe('ok');
    await waitUntil(async () => (JSON.parse(await t.status(true)) as StatusDoc).problems.length === 0, 'status clear'); // prettier-ignore
  }, 40_000);
});
