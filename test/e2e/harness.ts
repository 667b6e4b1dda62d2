import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEml } from '../../src/sandbox/eml-writer.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { runCli, type CliResult } from '../support/run-cli.js';

/**
 * The real CLI, as users run it (built by `npm test`'s pretest step): the daemon runs as a process
 * because signals, its exit code and the lock between processes are what these tests check.
 */
export const CLI = fileURLToPath(new URL('../../bin/imspooler.js', import.meta.url));
const PASSWORD = 'e2e-Secret-Pa55word';

/** Polls `check` until it returns a truthy value or the deadline passes (never a fixed sleep). */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

export interface LogLine {
  'log.level': string;
  message: string;
  event?: { action?: string; outcome?: string; duration?: number };
  file?: { path?: string };
  imspooler?: {
    item?: { id?: string };
    attempt?: number;
    next_attempt_at?: string;
    [k: string]: unknown;
  };
  error?: { code?: string; message?: string };
  [k: string]: unknown;
}

export interface DaemonProcess {
  proc: ChildProcess;
  lines: LogLine[];
  stderr: () => string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  waitForLine(pred: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  actions(action: string): LogLine[];
}

/** A temp world: spool folder, state folder, sandbox EWS server, config file. */
export interface World {
  dir: string;
  spool: string;
  stateDir: string;
  mailbox: string;
  configPath: string;
  sandbox: SandboxHandle;
  env: NodeJS.ProcessEnv;
  /**
   * Spawns the daemon; `extraEnv` adds variables for this process only (e.g. test switches),
   * `nodeArgs` node's own flags before the script (as a service definition passes them).
   */
  start(extraEnv?: NodeJS.ProcessEnv, nodeArgs?: readonly string[]): DaemonProcess;
  /** A command (`status`, `retry`, ...) in this process, through the CLI's `main` (run-cli.ts). */
  cli(...args: string[]): Promise<CliResult>;
  /** Every message the sandbox delivered, read from its .eml files. */
  delivered(): Promise<
    {
      file: string;
      itemHeader: string;
      itemClass: string;
      to: string;
      subject: string;
      body: string;
    }[]
  >;
  drop(name: string, content: string | Buffer): Promise<string>;
  close(): Promise<void>;
}

export async function makeWorld(
  overrides: Record<string, unknown> = {},
  sandboxFaults?: object,
): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'imspooler-e2e-'));
  const spool = join(dir, 'Lync', 'sip_alice@contoso.com', 'History Spooler');
  const stateDir = join(dir, 'state');
  const mailbox = join(dir, 'mailbox');
  await mkdir(spool, { recursive: true });
  const sandbox = await startSandbox({
    port: 0,
    mailboxDir: mailbox,
    auth: { username: 'CONTOSO\\alice', password: PASSWORD },
    ...(sandboxFaults ? { faults: sandboxFaults } : {}),
  });
  const config = deepMerge(
    {
      spool: { paths: [spool], grace: '300ms', rescan: '1s' },
      stateDir,
      delivery: {
        transport: 'ews',
        concurrency: 4,
        shutdownTimeout: '3s',
        ews: {
          url: sandbox.url,
          auth: {
            type: 'basic',
            username: 'CONTOSO\\alice',
            passwordEnv: 'IMSPOOLER_EWS_PASSWORD',
          },
          timeout: '5s',
        },
      },
      organization: { domains: ['contoso.com'] },
      retry: { minDelay: '200ms', maxDelay: '1s', maxAge: '72h', quickRetries: 0 },
      log: { level: 'info', file: join(stateDir, 'log', 'imspooler.log') },
    },
    overrides,
  );
  const configPath = join(dir, 'imspooler.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const env = { ...process.env, IMSPOOLER_EWS_PASSWORD: PASSWORD, IMSPOOLER_CONFIG: configPath };
  const children: ChildProcess[] = [];

  const world: World = {
    dir,
    spool,
    stateDir,
    mailbox,
    configPath,
    sandbox,
    env,
    start(extraEnv, nodeArgs = []) {
      const proc = spawn(process.execPath, [...nodeArgs, CLI, 'run', '--config', configPath], {
        env: extraEnv ? { ...env, ...extraEnv } : env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(proc);
      const lines: LogLine[] = [];
      let err = '';
      let buf = '';
      proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            lines.push(JSON.parse(line) as LogLine);
          } catch {
            lines.push({ 'log.level': 'raw', message: line });
          }
        }
      });
      proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
      const exited = new Promise<number | string>((resolve) =>
        proc.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
      );
      return {
        proc,
        lines,
        stderr: () => err,
        exited,
        waitForLine: async (pred, what, timeoutMs) =>
          (await waitUntil(() => lines.find(pred), what, timeoutMs))!,
        actions: (action) => lines.filter((l) => l.event?.action === action),
      };
    },
    cli: (...args) => runCli(args, env, dir),
    async delivered() {
      const files = (await readdir(mailbox).catch(() => [] as string[]))
        .filter((f) => f.endsWith('.eml'))
        .sort();
      const out = [];
      for (const file of files) {
        const eml = parseEml(await readFile(join(mailbox, file), 'utf8'));
        if (!eml) continue;
        out.push({
          file,
          itemHeader: eml.headers['x-imspooler-item-id'] ?? '',
          itemClass: eml.headers['x-item-class'] ?? '',
          to: eml.headers.to ?? '',
          subject: eml.headers.subject ?? '',
          body: eml.body,
        });
      }
      return out;
    },
    async drop(name, content) {
      // Written under a .tmp name and renamed, as the client would: the daemon ignores .tmp files.
      const tmp = join(spool, `${name}.tmp`);
      await writeFile(tmp, content);
      const { rename } = await import('node:fs/promises');
      await rename(tmp, join(spool, name));
      return join(spool, name);
    },
    async close() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

function deepMerge(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      cur &&
      typeof cur === 'object' &&
      !Array.isArray(cur)
        ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** A JSON spool item. */
export function jsonItem(n: number, to: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    from: 'alice@contoso.com',
    to,
    messages: [
      { at: '2026-11-24T09:58:03Z', text: `Message number ${n} & <friends> "quoted" — ünïcödé` },
    ],
    ...extra,
  });
}

/** A MIME spool item, quoted-printable, with a non-ASCII subject. */
export function mimeItem(n: number, to: string): string {
  return [
    'From: Alice <alice@contoso.com>',
    `To: ${to}`,
    `Subject: =?UTF-8?Q?Offline_IM_${n}_=26_caf=C3=A9?=`,
    'Date: Tue, 24 Nov 2026 09:58:03 +0000',
    `Message-ID: <im-${n}@contoso.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    `Are you free at 3? Item ${n} caf=C3=A9 & <b>`,
    '',
  ].join('\r\n');
}

/** A conversation-history JSON item; its first message is the earliest, not the first listed. */
export const historyItem = (n: number): string =>
  JSON.stringify({
    kind: 'conversation-history',
    from: 'alice@contoso.com',
    to: ['bob@contoso.com', 'sip:carol@fabrikam.com'],
    messages: [
      { at: '2026-11-23T16:03:45Z', text: `Reply ${n} & <more>` },
      { at: '2026-11-23T16:02:10Z', text: `Conversation ${n}: have you seen the Q4 numbers?` },
    ],
  });
