import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { foregroundClock, monotonicNow, type Clock } from '../clock.js';
import { realFs, type FsLike } from '../platform/fs-seam.js';
import type { ControlRequest } from './control-ops.js';
import { errnoCode as errno } from '../platform/errno.js';
import { bool, object, oneOf, optional, parseJsonOrThrow, str } from '../platform/json-shape.js';

/** The daemon's answer to one request, written next to it as `<name>.result`. */
export interface ControlResult {
  ok: boolean;
  message: string;
  /** The request applies when the attempt in flight ends. */
  pending?: boolean;
  /** For a refusal: 2 when the request did not fit (bad usage), 1 when applying it failed. */
  exitCode?: 1 | 2;
}

const resultShape = object<ControlResult>({
  ok: bool,
  message: str,
  pending: optional(bool),
  exitCode: optional(oneOf(1, 2)),
});
const requestShape = object<ControlRequest>({
  op: oneOf('hold', 'release', 'retry', 'delete'),
  id: str,
  user: str,
  requestedAt: str,
});

/** What became of a submitted request. */
export type SubmitOutcome =
  | { kind: 'answered'; result: ControlResult }
  /** Nobody took it in time; it was withdrawn, so it will not apply later by surprise. */
  | { kind: 'withdrawn' }
  /** The daemon took it but did not answer in time: it applies it (see the log). */
  | { kind: 'taken' };

export const controlDir = (stateDir: string): string => join(stateDir, 'control');

/**
 * CLI side: drops a request for the running daemon and waits for its answer. Files: the CLI
 * writes `<name>.request` (atomically, by rename); the daemon renames it to `<name>.taken` before
 * reading it, so the CLI can withdraw a request nobody took (unlink succeeds) and can tell it from
 * one being applied (unlink finds nothing).
 */
export async function submitControl(
  stateDir: string,
  req: ControlRequest,
  opts: {
    timeoutMs?: number;
    wake?: () => Promise<unknown>;
    fs?: FsLike;
    clock?: Clock;
  } = {},
): Promise<SubmitOutcome> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const wake = opts.wake ?? (async () => {});
  const fs = opts.fs ?? realFs;
  const clock = opts.clock ?? foregroundClock;
  const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
  const dir = controlDir(stateDir);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const name = `${clock.now()}-${randomBytes(4).toString('hex')}`;
  // Written under a dot-name then renamed, so the daemon never reads half a request.
  await fs.writeFile(join(dir, `.${name}`), JSON.stringify(req), { mode: 0o600 });
  await fs.rename(join(dir, `.${name}`), join(dir, `${name}.request`));
  const resultPath = join(dir, `${name}.result`);
  // Waits are measured on monotonic time: a wall clock set back must not keep the CLI waiting.
  const mono = () => monotonicNow(clock);
  const deadline = mono() + timeoutMs;
  // The daemon has no poll: this wake-up (and its folder watch) is what makes it look. Said again
  // while waiting, so a wake-up lost to a busy moment costs a quarter of a second, not the request.
  // The answer is another process's file, so it is looked for every 25 ms: no event announces it.
  let nextWake = -Infinity;
  for (;;) {
    if (mono() >= nextWake) {
      nextWake = mono() + 250;
      await wake().catch(() => {});
    }
    const result = await readResult(fs, resultPath);
    if (result) return { kind: 'answered', result };
    if (mono() >= deadline) break;
    await sleep(25);
  }
  try {
    await fs.unlink(join(dir, `${name}.request`));
    return { kind: 'withdrawn' };
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
  // Taken just now: give the answer a moment more.
  const late = mono() + TAKEN_GRACE_MS;
  while (mono() < late) {
    const result = await readResult(fs, resultPath);
    if (result) return { kind: 'answered', result };
    await sleep(25);
  }
  return { kind: 'taken' };
}

/** How long a request the daemon took just as the CLI gave up is still waited for. */
export const TAKEN_GRACE_MS = 1000;

async function readResult(fs: FsLike, path: string): Promise<ControlResult | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  await fs.unlink(path).catch(() => {});
  return parseJsonOrThrow(text, `the daemon's answer ${path}`, resultShape);
}

/** Results nobody collected (the CLI gave up or was killed) are removed after this long. */
const STALE_RESULT_MS = 10 * 60_000;

/**
 * Daemon side: applies requests as they arrive, in the order they were made. The CLI wakes it
 * through the queue lock (`wake()`) and fs.watch sees the file too; no timer runs while idle. The
 * request files stay the durable record: one left by a daemon that stopped is read at next start.
 */
export function makeControlInbox(opts: {
  stateDir: string;
  handle: (req: ControlRequest) => Promise<ControlResult>;
  onError: (error: unknown) => void;
  fs: FsLike;
  clock: Clock;
}) {
  const { fs, clock } = opts;
  const dir = controlDir(opts.stateDir);
  let watcher: { close(): void } | undefined;
  let busy: Promise<void> = Promise.resolve();
  let again = false;
  let running = false;
  let stopped = false;

  const answer = async (base: string, result: ControlResult) => {
    await fs.writeFile(join(dir, `.${base}.result`), JSON.stringify(result), { mode: 0o600 });
    await fs.rename(join(dir, `.${base}.result`), join(dir, `${base}.result`));
  };

  const drainOnce = async () => {
    const names = (await fs.readdir(dir).catch(() => [] as string[]))
      .filter((n) => n.endsWith('.request'))
      .sort();
    for (const name of names) {
      if (stopped) return;
      const base = name.slice(0, -'.request'.length);
      const taken = join(dir, `${base}.taken`);
      try {
        await fs.rename(join(dir, name), taken);
      } catch (e) {
        if (errno(e) === 'ENOENT') continue; // withdrawn by the CLI
        throw e;
      }
      let result: ControlResult;
      try {
        const req = parseJsonOrThrow(await fs.readFile(taken, 'utf8'), `control request ${name}`, requestShape); // prettier-ignore
        result = await opts.handle(req);
      } catch (e) {
        result = { ok: false, message: e instanceof Error ? e.message : String(e), exitCode: 1 };
      }
      await answer(base, result);
      await fs.unlink(taken).catch(() => {});
    }
  };

  /** Debris of an earlier run: uncollected results, and requests taken but never answered. */
  const tidy = async () => {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const path = join(dir, name);
      if (name.endsWith('.taken')) {
        // The daemon stopped (or crashed) while applying it; the CLI was told it would apply.
        const base = name.slice(0, -'.taken'.length);
        if (names.includes(`${base}.result`)) await fs.unlink(path).catch(() => {});
        else await fs.rename(path, join(dir, `${base}.request`)).catch(() => {});
      } else if (name.endsWith('.result') || name.startsWith('.')) {
        // An mtime is a wall-clock instant: read against the wall clock.
        const st = await fs.stat(path).catch(() => undefined);
        if (st && clock.now() - st.mtimeMs > STALE_RESULT_MS) await fs.unlink(path).catch(() => {});
      }
    }
  };

  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    busy = (async () => {
      do {
        again = false;
        await drainOnce().catch(opts.onError);
      } while (again && !stopped);
      running = false;
    })();
  };

  return {
    async start() {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await tidy().catch(opts.onError);
      try {
        watcher = fs.watchDir(dir, kick, opts.onError);
      } catch (e) {
        opts.onError(e);
      }
      kick();
    },
    /** Reads the inbox now (a CLI command said it dropped a request). */
    wake: kick,
    async stop() {
      stopped = true;
      watcher?.close();
      await busy;
    },
  };
}
