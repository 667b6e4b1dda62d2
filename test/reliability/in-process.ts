import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load-config.js';
import {
  startDaemon,
  type DaemonDeps,
  type DaemonObserver,
  type RunningDaemon,
} from '../../src/daemon/daemon.js';
import { openTransport } from '../../src/delivery/open/open-transport.js';
import { makeMemoryEventLog } from '../../src/log/logger.js';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';

const PASSWORD = 'inproc-Secret-Pa55word';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Log lines as the memory log keeps them (ECS fields nested). */
export interface MemLine {
  message: string;
  level?: string;
  event?: { action?: string; outcome?: string };
  file?: { path?: string };
  error?: { code?: string; message?: string };
  imspooler?: { item?: { id?: string }; next_attempt_at?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** A daemon in this process: injected fs seam and clock, real folders, the sandbox over HTTP. */
export interface InProcessWorld {
  dir: string;
  configPath: string;
  spool: string;
  stateDir: string;
  sandbox: SandboxHandle;
  lines: MemLine[];
  actions(action: string): MemLine[];
  start(): Promise<RunningDaemon>;
  drop(name: string, content: string): Promise<string>;
  close(): Promise<void>;
}

export async function makeInProcessWorld(opts: {
  fs?: FsLike;
  clock?: Clock;
  /** Seams of the queue database (a commit that fails like a full or failing disk). */
  storeHooks?: DaemonDeps['storeHooks'];
  config?: Record<string, unknown> & { spool?: Record<string, unknown> };
  /** Stands between the daemon and the real opener (which `open` calls), e.g. to fail once. */
  openTransport?: (
    open: () => ReturnType<typeof openTransport>,
  ) => ReturnType<typeof openTransport>;
  /** What metrics and /healthz learn from the daemon (as `imspooler run` wires it). */
  observer?: DaemonObserver;
}): Promise<InProcessWorld> {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'imspooler-rel-'));
  const spool = join(dir, 'spool');
  const stateDir = join(dir, 'state');
  await fsp.mkdir(spool);
  const sandbox = await startSandbox({
    port: 0,
    mailboxDir: join(dir, 'mailbox'),
    auth: { username: 'CONTOSO\\alice', password: PASSWORD },
  });
  const configPath = join(dir, 'imspooler.json');
  await fsp.writeFile(
    configPath,
    JSON.stringify({
      stateDir,
      delivery: {
        transport: 'ews',
        concurrency: 2,
        shutdownTimeout: '1s',
        ews: {
          url: sandbox.url,
          auth: { type: 'basic', username: 'CONTOSO\\alice', passwordEnv: 'REL_PASSWORD' },
          timeout: '2s',
        },
      },
      organization: { domains: ['contoso.com'] },
      retry: { minDelay: '200ms', maxDelay: '1s', maxAge: '72h', quickRetries: 0 },
      log: { level: 'debug', file: null },
      ...opts.config,
      // Merged, so a test can change the grace period and keep the world's spool folder.
      spool: { paths: [spool], grace: '200ms', rescan: '300ms', ...(opts.config?.spool ?? {}) },
    }),
  );
  const env = { REL_PASSWORD: PASSWORD };
  const config = await loadConfig({ file: configPath, env, repoRoot });
  const log = makeMemoryEventLog();
  const lines = log.lines as MemLine[];
  const running: RunningDaemon[] = [];
  return {
    dir,
    configPath,
    spool,
    stateDir,
    sandbox,
    lines,
    actions: (a) => lines.filter((l) => l.event?.action === a),
    async start() {
      const d = await startDaemon({
        config,
        log,
        version: 'test',
        env,
        fs: opts.fs ?? realFs,
        clock: opts.clock ?? systemClock,
        openTransport: (c) =>
          opts.openTransport
            ? opts.openTransport(() => openTransport(c, env))
            : openTransport(c, env),
        ...(opts.observer ? { observer: opts.observer } : {}),
        ...(opts.storeHooks ? { storeHooks: opts.storeHooks } : {}),
      });
      running.push(d);
      return d;
    },
    async drop(name, content) {
      const tmp = join(spool, `${name}.tmp`);
      await fsp.writeFile(tmp, content);
      await fsp.rename(tmp, join(spool, name));
      return join(spool, name);
    },
    async close() {
      for (const d of running) await d.stop('test over');
      await sandbox.close();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

/** An errno-style error, as node:fs throws them. */
export const errno = (code: string, syscall: string, path: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: injected, ${syscall} '${path}'`), { code, syscall, path });
