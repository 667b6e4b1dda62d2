#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --only throughput,intake,queue,lock,latency,scale,idle,footprint] [-- --no-wait]`
// Measures the real daemon (a child process, built dist/) against the EWS sandbox (its own
// process) on loopback, prints a table and writes bench/results/<time>.json. See
// docs/performance.md for what each number means and the results recorded so far.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { idle, intake, latency, scale, throughput } from './bench/phases.mjs';
import { lockCost } from './bench/lock-cost.mjs';
import { queueCost } from './bench/queue-cost.mjs';
import { DAEMON_FLAGS, load1, ROOT, sleep } from './bench/world.mjs';

/** This checkout: results are written here even when BENCH_ROOT names another build. */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const noWait = args.includes('--no-wait');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg
  ? new Set(
      (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(','),
    )
  : undefined;
const want = (phase) => !only || only.has(phase);

const sizes = quick
  ? {
      throughput: [200],
      intake: 500,
      queue: 200,
      latency: { rate: 20, seconds: 5 },
      scale: 1_000,
      scaleRun: 2,
      idle: 1_000,
      idleSeconds: 5,
      idleSettle: 5,
    }
  : {
      throughput: [2_000, 10_000],
      intake: Number(process.env.BENCH_INTAKE_FILES ?? 20_000),
      queue: 2_000,
      latency: { rate: 20, seconds: 45 },
      scale: 100_000,
      scaleRun: 10,
      idle: 10_000,
      idleSeconds: 30,
      idleSettle: 35,
    };

/** The machine is shared: wait (up to 10 minutes) for the 1-minute load to fall below 1.5. */
async function waitForQuiet() {
  const deadline = Date.now() + 10 * 60_000;
  let l = load1();
  if (l < 1.5 || noWait || quick) return { load: l, waitedSeconds: 0 };
  const t0 = Date.now();
  process.stderr.write(
    `bench: 1-minute load is ${l}; waiting for it to fall below 1.5 (up to 10 min)\n`,
  );
  while (Date.now() < deadline && (l = load1()) >= 1.5) await sleep(10_000);
  if (l >= 1.5)
    process.stderr.write(`bench: load still ${l}; measuring anyway (noted in the results)\n`);
  return { load: l, waitedSeconds: Math.round((Date.now() - t0) / 1000) };
}

function machine() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO,
      encoding: 'utf8',
    }).trim();
  } catch {
    /* not a git checkout */
  }
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    commit,
    build: ROOT === REPO ? 'this checkout' : ROOT,
    daemonFlags: DAEMON_FLAGS.join(' ') || '(none)',
  };
}

const rows = [];
const row = (metric, value, unit, target, pass) => rows.push({ metric, value, unit, target, pass });
const fmt = (v, digits = 1) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : String(v);

const results = { startedAt: new Date().toISOString(), quick, machine: machine() };
results.loadAtStart = await waitForQuiet();
const step = (name) => process.stderr.write(`bench: ${name} (load ${load1()})\n`);
/** Runs one measurement; a failure is recorded and the others still run. */
const attempt = async (name, fn) => {
  try {
    return await fn();
  } catch (e) {
    process.stderr.write(`bench: ${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    (results.errors ??= []).push({ name, error: String(e) });
    row(name, 'error', '', '', false);
    return undefined;
  }
};

if (want('throughput')) {
  results.throughput = [];
  for (const n of sizes.throughput) {
    step(`throughput, ${n} items`);
    const r = await attempt(`throughput ${n} items`, () => throughput(n));
    if (!r) continue;
    results.throughput.push(r);
    row(
      `throughput ${n} items`,
      fmt(r.itemsPerSecond),
      'items/s',
      '>= 400',
      r.itemsPerSecond >= 400,
    );
    row(`  ceiling (plain client)`, fmt(r.ceiling.itemsPerSecond), 'items/s', '', undefined);
    row(`  ratio to ceiling`, fmt(r.ratio, 2), '', '>= 0.5', r.ratio >= 0.5);
  }
  const n = sizes.throughput[0];
  step(`throughput, ${n} items, log.file null`);
  const r = await attempt(`throughput ${n}, log.file null`, () =>
    throughput(n, { logFile: false, ceiling: false }),
  );
  if (r) {
    results.throughput.push(r);
    row(`throughput ${n}, log.file null`, fmt(r.itemsPerSecond), 'items/s', '(info)', undefined);
  }
}
if (want('intake')) {
  const watcher = process.env.BENCH_WATCHER ?? 'chokidar';
  step(`intake, ${sizes.intake} files at once, ${watcher}`);
  const deadlineSeconds = Number(process.env.BENCH_INTAKE_DEADLINE ?? 600);
  const logFile = process.env.BENCH_INTAKE_LOG_FILE !== 'off';
  const r = await attempt('intake', () =>
    intake(sizes.intake, { watcher, deadlineSeconds, logFile }),
  );
  results.intake = r;
  if (r) {
    row(
      `intake ${r.items} files at once${r.timedOut ? ` (${r.claimed} in time)` : ''}`,
      fmt(r.itemsPerSecond),
      'items/s',
      '>= 400',
      r.itemsPerSecond >= 400 && !r.timedOut,
    );
    row(`  daemon CPU per item`, fmt(r.daemonCpuMsPerItem, 2), 'ms', '(info)', undefined);
  }
}
if (want('queue')) {
  step(`queue cost, ${sizes.queue} items`);
  const r = await attempt('queue cost', () => queueCost(sizes.queue));
  results.queue = r;
  if (r) {
    row('queue alone: CPU per item', fmt(r.cpuMsPerItem, 2), 'ms', '(info)', undefined);
    row('  of it in the kernel', fmt(r.systemMsPerItem, 2), 'ms', '(info)', undefined);
    row('  commits per item', fmt(r.commitsPerItem, 2), '', '(info)', undefined);
    row('  items per CPU-second', fmt(r.itemsPerCpuSecond, 0), 'items', '(info)', undefined);
  }
}
if (want('lock')) {
  step('queue lock');
  const r = await attempt('queue lock', () => lockCost(quick ? 50 : 500));
  results.lock = r;
  if (r) {
    row(
      `queue lock (${r.kind}): take + release`,
      fmt(r.takeAndReleaseMs, 2),
      'ms',
      '(info)',
      undefined,
    );
    row('  a take refused (a daemon answers)', fmt(r.refusedMs, 2), 'ms', '(info)', undefined);
    row('  "does a daemon run?" (none)', fmt(r.askNoDaemonMs, 2), 'ms', '(info)', undefined);
  }
}
if (want('latency')) {
  step(`latency, ${sizes.latency.rate}/s for ${sizes.latency.seconds} s`);
  const r = await attempt('latency', () => latency(sizes.latency.rate, sizes.latency.seconds));
  results.latency = r;
  if (r) row(`latency p50 (${r.ratePerSecond}/s drip)`, fmt(r.p50Ms, 0), 'ms', '(info)', undefined);
  if (r)
    row(`latency p99 (${r.ratePerSecond}/s drip)`, fmt(r.p99Ms, 0), 'ms', '< 100', r.p99Ms < 100);
  if (r) row(`  first item after start`, fmt(r.firstItemMs, 0), 'ms', '(info)', undefined);
}
if (want('scale')) {
  step(`scale, ${sizes.scale} items`);
  const r = await attempt('scale', () => scale(sizes.scale, sizes.scaleRun));
  results.scale = r;
  if (r)
    row(
      `start-up, ${sizes.scale} queued`,
      fmt(r.startupSeconds, 2),
      's',
      '< 1',
      r.startupSeconds < 1,
    );
  if (r)
    row(`peak RSS, ${sizes.scale} queued`, fmt(r.peakRssMb, 0), 'MB', '< 150', r.peakRssMb < 150);
  if (r)
    row(
      `status --json, ${sizes.scale}`,
      fmt(r.statusJsonSeconds, 2),
      's',
      '< 1.5',
      r.statusJsonSeconds < 1.5,
    );
  if (r)
    row(
      `status (table), ${sizes.scale}`,
      fmt(r.statusTableSeconds, 2),
      's',
      '< 0.5',
      r.statusTableSeconds < 0.5,
    );
  if (r)
    row(`  same, daemon delivering`, fmt(r.statusWhileRunningSeconds, 2), 's', '(info)', undefined);
}
if (want('idle')) {
  step(`idle, ${sizes.idle} deferred, ${sizes.idleSeconds} s`);
  const r = await attempt('idle', () => idle(sizes.idle, sizes.idleSeconds, sizes.idleSettle));
  results.idle = r;
  if (r) {
    row(`idle CPU, ${sizes.idle} deferred`, fmt(r.percent, 2), '% of a core', '< 1', r.percent < 1);
    row(
      `  first ${sizes.idleSeconds} s after start`,
      fmt(r.afterStart.percent, 2),
      '% of a core',
      '(info)',
      undefined,
    );
  }
}
if (want('footprint')) {
  step(`footprint, empty queue, ${sizes.idleSeconds} s`);
  const r = await attempt('footprint', () => idle(0, sizes.idleSeconds, sizes.idleSettle));
  results.footprint = r;
  if (r) {
    row('idle RSS, empty queue', fmt(r.rssMb, 0), 'MB', '< 60', r.rssMb < 60);
    row('  peak RSS (VmHWM)', fmt(r.peakRssMb, 0), 'MB', '(info)', undefined);
    row('  private to the process (PSS anon)', fmt(r.anonMb, 0), 'MB', '(info)', undefined);
    row('  mapped files, shared (PSS file)', fmt(r.fileMb, 0), 'MB', '(info)', undefined);
    row('idle CPU, empty queue', fmt(r.percent, 3), '% of a core', '< 0.1', r.percent < 0.1);
  }
}
results.loadAtEnd = load1();
results.table = rows;

const head = ['metric', 'value', 'unit', 'target', 'result'];
const cells = rows.map((r) => [
  r.metric,
  r.value,
  r.unit,
  r.target,
  r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL',
]);
const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
const line = (c) =>
  c
    .map((v, i) => (i === 1 ? String(v).padStart(widths[i]) : String(v).padEnd(widths[i])))
    .join('  ');
const m = results.machine;
console.log(
  `imspooler bench${quick ? ' (--quick)' : ''}: ${m.cpus} x ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}, node ${m.node}, commit ${m.commit}, daemon flags ${m.daemonFlags}`,
);
console.log(`1-minute load: ${results.loadAtStart.load} at start, ${results.loadAtEnd} at end`);
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const c of cells) console.log(line(c));

const dir = join(REPO, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${results.startedAt.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${file}`);
