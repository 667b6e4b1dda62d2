// The four measurements of `npm run bench`. Each builds its own temp world and removes it.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import http from 'node:http';
import { rename, writeFile } from 'node:fs/promises';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedQueue } from './seed-queue.mjs';
import {
  cpuSeconds,
  load1,
  makeWorld,
  memMb,
  memSplitMb,
  PASSWORD,
  percentile,
  sleep,
  spoolJson,
  USER,
  waitUntil,
} from './world.mjs';

/**
 * Throughput: `count` files already in the spool folder, grace 0, concurrency 8; the daemon is
 * timed from its spawn to the last `delivery.succeeded`. The ceiling is a plain keep-alive HTTP
 * client posting the very CreateItem the daemon sent, to a fresh sandbox, at the same concurrency.
 */
export async function throughput(count, { logFile = true, ceiling = true } = {}) {
  const world = await makeWorld(`tp${count}`, logFile ? {} : { log: { file: null } });
  const loadBefore = load1();
  try {
    for (let i = 0; i < count; i++) {
      writeFileSync(join(world.spool, `bench-${i}.json`), spoolJson(i));
    }
    const d = world.startDaemon();
    let daemonCpuSeconds;
    try {
      // Not waiting for daemon.started: it is logged once the spool folder's backlog is taken in.
      await waitUntil(
        () => {
          if (d.proc.exitCode !== null) throw new Error(`daemon exited: ${d.stderr.slice(0, 500)}`);
          return d.delivered >= count;
        },
        `${count} deliveries`,
        count * 50 + 60_000,
      );
      daemonCpuSeconds = cpuSeconds(d.pid);
    } finally {
      await d.stop();
    }
    const seconds = (d.lastDeliveryAt - d.spawnedAt) / 1000;
    const sb = await world.sandbox.stats();
    const result = {
      items: count,
      logFile,
      seconds,
      itemsPerSecond: count / seconds,
      startupSeconds: (d.startedAt - d.spawnedAt) / 1000,
      daemonCpuSeconds,
      daemonCpuMsPerItem: (daemonCpuSeconds * 1000) / count,
      daemonPeakRssMb: d.peakRssMb,
      sandboxCreateItems: sb.stats.createItem,
      sandboxCpuSeconds: (sb.cpu.user + sb.cpu.system) / 1e6,
      logLines: d.counts,
      problems: d.problems,
      loadBefore,
      loadAfter: load1(),
    };
    if (ceiling) {
      const body = await world.sandbox.createItemSample();
      if (!body) throw new Error('bench: the sandbox recorded no CreateItem to replay');
      result.ceiling = await plainClient(body, count, 8);
      result.ratio = result.itemsPerSecond / result.ceiling.itemsPerSecond;
    }
    return result;
  } finally {
    await world.close();
  }
}

/** The ceiling: `count` POSTs of `body` at `concurrency`, keep-alive, to a fresh sandbox. */
async function plainClient(body, count, concurrency) {
  const world = await makeWorld('ceiling');
  try {
    const url = new URL(world.sandbox.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    const payload = Buffer.from(body);
    const post = () =>
      new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            agent,
            headers: {
              'Content-Type': 'text/xml; charset=utf-8',
              Accept: 'text/xml',
              Authorization: auth,
              'Content-Length': payload.length,
            },
          },
          (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode === 200 && text.includes('NoError')) resolve();
              else
                reject(
                  new Error(`ceiling request answered ${res.statusCode}: ${text.slice(0, 200)}`),
                );
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next += 1;
          await post();
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    const sb = await world.sandbox.stats();
    return {
      items: count,
      seconds,
      itemsPerSecond: count / seconds,
      sandboxCpuSeconds: (sb.cpu.user + sb.cpu.system) / 1e6,
    };
  } finally {
    await world.close();
  }
}

/**
 * Intake: the daemon runs idle with the default watcher (chokidar) and grace 0; then `count` files
 * are dropped into the spool folder at once (written beside it first, then renamed in as fast as
 * the bench can). Timed from the first rename to the last `item.claimed` line: watch, grace,
 * claim and admission, whatever the store is. The server answers after `serverDelayMs`, so the
 * daemon's few requests in flight wait and delivery takes no CPU from intake (the throughput phase
 * measures the two together). Gives up after `deadlineSeconds` and reports what was claimed.
 */
export async function intake(
  count,
  { watcher = 'chokidar', deadlineSeconds = 600, serverDelayMs = 540_000, logFile = true } = {},
) {
  const world = await makeWorld(`intake${count}`, {
    ...(logFile ? {} : { log: { file: null } }),
    spool: { watcher },
    delivery: { ews: { timeout: '10m' } },
  });
  const loadBefore = load1();
  try {
    const staging = join(world.dir, 'staging');
    mkdirSync(staging);
    for (let i = 0; i < count; i++) {
      writeFileSync(join(staging, `drop-${i}.json`), spoolJson(2_000_000 + i));
    }
    await world.sandbox.setFaults({ slowMs: serverDelayMs });
    const d = world.startDaemon();
    let t0;
    let dropSeconds;
    let daemonCpuSeconds;
    let timedOut = false;
    try {
      await d.waitStarted(60_000);
      // chokidar is ready a moment after daemon.started (the monitor starts after that line).
      await sleep(2000);
      const cpu0 = cpuSeconds(d.pid);
      t0 = Date.now();
      for (let i = 0; i < count; i++) {
        renameSync(join(staging, `drop-${i}.json`), join(world.spool, `drop-${i}.json`));
      }
      dropSeconds = (Date.now() - t0) / 1000;
      try {
        await waitUntil(
          () => {
            if (d.proc.exitCode !== null)
              throw new Error(`daemon exited: ${d.stderr.slice(0, 500)}`);
            return (d.counts['item.claimed'] ?? 0) >= count;
          },
          `${count} claims`,
          deadlineSeconds * 1000,
        );
      } catch (e) {
        if (!String(e).includes('timed out')) throw e;
        timedOut = true;
      }
      daemonCpuSeconds = cpuSeconds(d.pid) - cpu0;
    } finally {
      await d.stop();
    }
    const claimed = d.counts['item.claimed'] ?? 0;
    const seconds = ((timedOut ? Date.now() : d.lastAt['item.claimed']) - t0) / 1000;
    return {
      items: count,
      watcher,
      claimed,
      timedOut,
      seconds,
      itemsPerSecond: claimed / seconds,
      dropSeconds,
      daemonCpuSeconds,
      daemonCpuMsPerItem: claimed ? (daemonCpuSeconds * 1000) / claimed : undefined,
      daemonPeakRssMb: d.peakRssMb,
      logLines: d.counts,
      problems: d.problems,
      loadBefore,
      loadAfter: load1(),
    };
  } finally {
    await world.close();
  }
}

/**
 * Latency: the daemon runs idle, then files arrive at `ratePerSecond` for `seconds` (written under
 * a .tmp name and renamed, as the client does). With grace 0 a file is due the moment it appears;
 * latency runs from the rename to the `delivery.succeeded` line's timestamp. One warm-up item goes
 * first and is reported on its own (`firstItemMs`): it carries the loading of the EWS client.
 */
export async function latency(ratePerSecond, seconds) {
  const world = await makeWorld('latency');
  const loadBefore = load1();
  try {
    const d = world.startDaemon();
    d.trackPaths = true;
    const dueAt = new Map();
    let firstItemMs;
    try {
      await d.waitStarted(60_000);
      await sleep(500);
      // One item first, timed on its own: the daemon loads its EWS client when the first item is
      // due (the idle footprint), 0.5 s of CPU that every item arriving meanwhile would wait for.
      // That is start-up, not the steady rate the p99 is about (docs/performance.md, 2026-12-02).
      const warm = join(world.spool, 'warm-up.json');
      await writeFile(`${warm}.tmp`, spoolJson(999_999));
      await rename(`${warm}.tmp`, warm);
      const warmAt = Date.now();
      await waitUntil(() => d.deliveredAt.has(warm), 'the warm-up item', 60_000);
      firstItemMs = d.deliveredAt.get(warm) - warmAt;
      const total = Math.round(ratePerSecond * seconds);
      const t0 = performance.now();
      for (let i = 0; i < total; i++) {
        // Paced against the start, so a slow write does not slow the drip down.
        const wait = t0 + (i * 1000) / ratePerSecond - performance.now();
        if (wait > 0) await sleep(wait);
        const path = join(world.spool, `drip-${i}.json`);
        await writeFile(`${path}.tmp`, spoolJson(1_000_000 + i));
        await rename(`${path}.tmp`, path);
        dueAt.set(path, Date.now());
      }
      await waitUntil(() => d.delivered >= total + 1, `${total} deliveries`, 120_000);
    } finally {
      await d.stop();
    }
    const lat = [];
    for (const [path, at] of dueAt) {
      const done = d.deliveredAt.get(path);
      if (done !== undefined) lat.push(done - at);
    }
    return {
      items: dueAt.size,
      ratePerSecond,
      seconds,
      firstItemMs,
      p50Ms: percentile(lat, 50),
      p99Ms: percentile(lat, 99),
      maxMs: Math.max(...lat),
      problems: d.problems,
      loadBefore,
      loadAfter: load1(),
    };
  } finally {
    await world.close();
  }
}

/**
 * Scale: `count` items queued (incoming, due now) before start. `status --json` and `status` are
 * timed on that queue first (no daemon; the median of three runs each), then the daemon starts: start-up is spawn to
 * `daemon.started`; peak RSS is VmHWM after it has been delivering for `runSeconds`. The seeded
 * files are flushed to disk first: a real queue of this size builds up over days, so the kernel's
 * writeback of 100,000 files written a moment ago has no place in what is measured.
 */
export async function scale(count, runSeconds) {
  const world = await makeWorld('scale');
  try {
    const s0 = performance.now();
    seedQueue(world.stateDir, world.spool, count, { state: 'incoming' });
    const seedSeconds = (performance.now() - s0) / 1000;
    const f0 = performance.now();
    execFileSync('sync');
    const flushSeconds = (performance.now() - f0) / 1000;
    const loadBefore = load1();
    const statusRuns = [];
    let listed;
    for (let i = 0; i < 3; i++) {
      const st = await world.cli('status', '--json');
      if (st.code !== 0) throw new Error(`status --json failed (${st.code}): ${st.stderr}`);
      statusRuns.push(st.ms / 1000);
      listed = countItems(JSON.parse(st.stdout));
    }
    const tableRuns = [];
    for (let i = 0; i < 3; i++) {
      const st = await world.cli('status');
      if (st.code !== 0) throw new Error(`status failed (${st.code}): ${st.stderr}`);
      tableRuns.push(st.ms / 1000);
    }
    const d = world.startDaemon();
    let startupSeconds;
    let peakRssMb;
    let statusWhileRunningMs;
    let deliveredInWindow;
    try {
      await d.waitStarted(120_000);
      startupSeconds = (d.startedAt - d.spawnedAt) / 1000;
      await sleep(runSeconds * 1000);
      const st2 = await world.cli('status', '--json');
      statusWhileRunningMs = st2.ms;
      peakRssMb = memMb(d.pid, 'VmHWM');
      deliveredInWindow = d.delivered;
    } finally {
      await d.stop();
    }
    return {
      items: count,
      seedSeconds,
      flushSeconds,
      statusJsonSeconds: percentile(statusRuns, 50),
      statusJsonRuns: statusRuns,
      statusTableSeconds: percentile(tableRuns, 50),
      statusListed: listed,
      statusWhileRunningSeconds: statusWhileRunningMs / 1000,
      startupSeconds,
      peakRssMb,
      runSeconds,
      deliveredInWindow,
      problems: d.problems,
      loadBefore,
      loadAfter: load1(),
    };
  } finally {
    await world.close();
  }
}

/** Number of items a status document reports (its shape belongs to src/status/). */
function countItems(doc) {
  if (Array.isArray(doc.items)) return doc.items.length;
  const c = doc.counts ?? doc.queue?.counts ?? doc.summary;
  return c && typeof c === 'object'
    ? Object.values(c).reduce((a, v) => a + (typeof v === 'number' ? v : 0), 0)
    : undefined;
}

/**
 * Idle cost: `count` deferred items due in a day (or an empty queue), nothing in the spool folder.
 * Also the daemon's RSS (`VmRSS`) at the end and its peak (`VmHWM`): the footprint that counts on a
 * terminal server running one daemon per user. The daemon's CPU
 * time (/proc, all threads) over the first `seconds` after `daemon.started`, and over `seconds`
 * once it has settled: about 25 s after start V8's memory reducer runs one full garbage collection
 * (a few hundred ms, whatever the queue holds), which is start-up cost, not polling.
 */
export async function idle(count, seconds, settleSeconds = 35) {
  const world = await makeWorld('idle');
  try {
    if (count > 0) {
      seedQueue(world.stateDir, world.spool, count, {
        state: 'deferred',
        nextAttemptAt: Date.now() + 24 * 3600_000,
      });
    }
    const loadBefore = load1();
    const d = world.startDaemon();
    const measure = async () => {
      const c0 = cpuSeconds(d.pid);
      const t0 = performance.now();
      await sleep(seconds * 1000);
      const cpu = cpuSeconds(d.pid) - c0;
      const wall = (performance.now() - t0) / 1000;
      return { cpuSeconds: cpu, wallSeconds: wall, percent: (cpu / wall) * 100 };
    };
    let first;
    let steady;
    let rssMb;
    let peakRssMb;
    let split;
    try {
      await d.waitStarted(60_000);
      first = await measure();
      const rest = settleSeconds - seconds;
      if (rest > 0) await sleep(rest * 1000);
      steady = await measure();
      rssMb = memMb(d.pid, 'VmRSS');
      peakRssMb = memMb(d.pid, 'VmHWM');
      split = memSplitMb(d.pid);
    } finally {
      await d.stop();
    }
    const sb = await world.sandbox.stats();
    return {
      items: count,
      ...steady,
      afterStart: first,
      settleSeconds,
      rssMb,
      peakRssMb,
      anonMb: split?.anon,
      fileMb: split?.file,
      requestsToServer: sb.stats.requests,
      deliveries: d.delivered,
      loadBefore,
      loadAfter: load1(),
    };
  } finally {
    await world.close();
  }
}
