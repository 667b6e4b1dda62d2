// Bench plumbing: temp folders, the sandbox in its own process, the real daemon as a child
// process, /proc sampling. Everything runs from dist/ (the bench script builds first).
import { performance } from 'node:perf_hooks';
import { execFile, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The build under test. BENCH_ROOT points at another checkout's build (bin/, dist/, package.json),
 * to compare a change against the tree without disturbing dist/ while others use it.
 */
export const ROOT = process.env.BENCH_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
/** Imports a module of the build under test, e.g. `dist('queue/queue-layout.js')`. */
export const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
export const CLI = join(ROOT, 'bin', 'imspooler.js');
/**
 * The Node.js flags the daemon runs with in the programs users run (the packages' SEA config, the
 * service definitions: src/platform/node-flags.ts), so the bench measures what they get. A build
 * from before they existed has none. `BENCH_DAEMON_FLAGS=none` measures the daemon without them.
 */
export const DAEMON_FLAGS =
  process.env.BENCH_DAEMON_FLAGS === 'none'
    ? []
    : await dist('platform/node-flags.js').then(
        (m) => [...m.DAEMON_NODE_FLAGS],
        () => [],
      );
const SANDBOX_CHILD = fileURLToPath(new URL('./sandbox-child.mjs', import.meta.url));
export const USER = 'CONTOSO\\alice';
export const PASSWORD = 'bench-Secret-Pa55word';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every mainstream Linux). */
const CLK_TCK = 100;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until truthy; throws after `timeoutMs`. */
export async function waitUntil(check, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check();
    if (v) return v;
    await sleep(20);
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

/** User + system CPU seconds of a process so far (Linux /proc). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** A field of /proc/<pid>/status in MB (VmHWM = peak RSS, VmRSS = now). */
export function memMb(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * The kernel's split of a process's memory (/proc/<pid>/smaps_rollup), in MB: `anon` is its own
 * (heap, stacks), `file` the pages of files it maps, mostly the node binary, which processes
 * running the same binary share.
 */
export function memSplitMb(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { anon: kb('Pss_Anon') / 1024, file: kb('Pss_File') / 1024 };
}

/** The 1-minute load average. */
export const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/** One spool item in the JSON format; `n` makes each unique (the ID is a content hash). */
export function spoolJson(n) {
  return JSON.stringify({
    from: 'alice@contoso.com',
    to: ['bob@contoso.com'],
    messages: [
      { at: '2026-11-24T09:58:03Z', text: `Are you free at 3? Benchmark message ${n} & <friends>` },
      { at: '2026-11-24T09:58:40Z', text: 'Ping me when you are back.' },
    ],
  });
}

/** Starts the sandbox in a child process; resolves once it listens. */
export async function startSandboxProcess(mailboxDir) {
  const child = fork(SANDBOX_CHILD, [ROOT, mailboxDir, USER, PASSWORD], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiters = new Map();
  child.on('message', (m) => {
    const w = waiters.get(m.type);
    if (w) {
      waiters.delete(m.type);
      w(m);
    }
  });
  const ask = (type, extra = {}) =>
    new Promise((resolve) => {
      waiters.set(type, resolve);
      if (type !== 'ready') child.send({ type, ...extra });
    });
  const ready = await ask('ready');
  return {
    url: ready.url,
    port: ready.port,
    pid: child.pid,
    createItemSample: async () => (await ask('createItemSample')).body,
    stats: () => ask('stats'),
    /** Switches faults on in the sandbox (src/sandbox/faults.ts), e.g. `{ slowMs: 60000 }`. */
    setFaults: (faults) => ask('faults', { faults }),
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.send({ type: 'close' });
      await Promise.race([gone, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** A temp world: spool folder, state folder, sandbox process, config file. */
export async function makeWorld(name, configOverrides = {}) {
  const dir = await mkdtemp(join(tmpdir(), `imspooler-bench-${name}-`));
  const spool = join(dir, 'Lync', 'sip_alice@contoso.com', 'History Spooler');
  const stateDir = join(dir, 'state');
  const mailbox = join(dir, 'mailbox');
  await mkdir(spool, { recursive: true });
  await mkdir(stateDir, { recursive: true });
  const sandbox = await startSandboxProcess(mailbox);
  const config = merge(
    {
      spool: {
        paths: [spool],
        grace: '0s',
        rescan: '60s',
        watcher: process.env.BENCH_WATCHER ?? 'native',
      },
      stateDir,
      delivery: {
        transport: 'ews',
        concurrency: 8,
        shutdownTimeout: '3s',
        ews: {
          url: sandbox.url,
          auth: { type: 'basic', username: USER, passwordEnv: 'IMSPOOLER_EWS_PASSWORD' },
          timeout: '30s',
        },
      },
      organization: { domains: ['contoso.com'] },
      retry: { minDelay: '1s', maxDelay: '10s', maxAge: '72h', quickRetries: 0 },
      log: { level: 'info', file: join(stateDir, 'log', 'imspooler.log') },
    },
    configOverrides,
  );
  const configPath = join(dir, 'imspooler.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const env = cleanEnv({ IMSPOOLER_EWS_PASSWORD: PASSWORD });
  return {
    dir,
    spool,
    stateDir,
    mailbox,
    sandbox,
    configPath,
    env,
    startDaemon: () => startDaemon(configPath, env),
    /** Runs a CLI command; resolves with its wall time in ms and output. */
    cli: (...args) =>
      new Promise((resolve) => {
        const t0 = performance.now();
        execFile(
          process.execPath,
          [CLI, ...args, '--config', configPath],
          { env, maxBuffer: 2 ** 30 },
          (error, stdout, stderr) =>
            resolve({
              ms: performance.now() - t0,
              code: error ? (error.code ?? 1) : 0,
              stdout,
              stderr,
            }),
        );
      }),
    async close() {
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The parent's environment without IMSPOOLER_* settings that would change the daemon's config. */
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('IMSPOOLER')) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Spawns the real daemon and follows its stdout JSON lines. Deliveries are counted as they come
 * (the lines themselves are not kept: 100,000 of them would distort the bench's own memory).
 */
function startDaemon(configPath, env) {
  const spawnedAt = Date.now();
  // BENCH_DAEMON_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the daemon (see docs/performance.md).
  const nodeArgs = [
    ...DAEMON_FLAGS,
    ...(process.env.BENCH_DAEMON_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
  ];
  const proc = spawn(process.execPath, [...nodeArgs, CLI, 'run', '--config', configPath], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const d = {
    proc,
    pid: proc.pid,
    spawnedAt,
    startedAt: undefined,
    delivered: 0,
    lastDeliveryAt: 0,
    /** delivery time (ms since epoch) per spool path, when `trackPaths` is set. */
    deliveredAt: new Map(),
    trackPaths: false,
    counts: {},
    /** The latest timestamp (ms since epoch) of each event.action seen. */
    lastAt: {},
    problems: [],
    stderr: '',
    peakRssMb: 0,
    exited: undefined,
  };
  d.exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve(code ?? sig)));
  let buf = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let l;
      try {
        l = JSON.parse(line);
      } catch {
        continue;
      }
      const action = l.event?.action ?? `diag.${l['log.level']}`;
      d.counts[action] = (d.counts[action] ?? 0) + 1;
      const at = Date.parse(l['@timestamp'] ?? '') || Date.now();
      if (at > (d.lastAt[action] ?? 0)) d.lastAt[action] = at;
      if (action === 'daemon.started') d.startedAt = at;
      else if (action === 'delivery.succeeded') {
        d.delivered += 1;
        if (at > d.lastDeliveryAt) d.lastDeliveryAt = at;
        if (d.trackPaths && l.file?.path) d.deliveredAt.set(l.file.path, at);
      } else if (l['log.level'] === 'error' || l['log.level'] === 'warn') {
        if (d.problems.length < 5) d.problems.push(`${action}: ${l.message}`);
      }
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (c) => (d.stderr += c));
  // VmHWM is the kernel's own high-water mark; sampling VmRSS too is only a cross-check.
  const sampler = setInterval(() => {
    try {
      d.peakRssMb = Math.max(d.peakRssMb, memMb(proc.pid, 'VmRSS'));
    } catch {
      /* exited */
    }
  }, 100);
  d.stop = async () => {
    clearInterval(sampler);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const done = await Promise.race([d.exited, sleep(10_000).then(() => 'timeout')]);
      if (done === 'timeout') proc.kill('SIGKILL');
    }
    await d.exited;
  };
  d.waitStarted = (timeoutMs) =>
    waitUntil(
      () => {
        if (proc.exitCode !== null)
          throw new Error(`daemon exited early: ${d.stderr.slice(0, 500)}`);
        return d.startedAt;
      },
      'daemon.started',
      timeoutMs,
    );
  return d;
}

function merge(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    const plain = (x) => x && typeof x === 'object' && !Array.isArray(x);
    out[k] = plain(v) && plain(cur) ? merge(cur, v) : v;
  }
  return out;
}

/** The q-th percentile (0..100) of numbers, nearest rank. */
export function percentile(values, q) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))];
}
