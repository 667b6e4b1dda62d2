import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlRequest } from './control-ops.js';

/** The daemon's answer to one request, written next to it as `<name>.result`. */
export interface ControlResult {
  ok: boolean;
  message: string;
}

export const controlDir = (stateDir: string): string => join(stateDir, 'control');

/** CLI side: drops a request for the running daemon and waits for its answer. */
export async function submitControl(
  stateDir: string,
  req: ControlRequest,
  timeoutMs = 5000,
): Promise<ControlResult | undefined> {
  const dir = controlDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = `${Date.now()}-${randomBytes(4).toString('hex')}`;
  // Written under a dot-name then renamed, so the daemon never reads half a request.
  await writeFile(join(dir, `.${name}`), JSON.stringify(req), { mode: 0o600 });
  await rename(join(dir, `.${name}`), join(dir, `${name}.request`));
  const resultPath = join(dir, `${name}.result`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const result = JSON.parse(await readFile(resultPath, 'utf8')) as ControlResult;
      await unlink(resultPath).catch(() => {});
      return result;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return undefined;
}

/**
 * Daemon side: applies requests as they arrive. fs.watch wakes it at once; a slow poll covers
 * platforms and file systems where watching is unreliable.
 */
export function makeControlInbox(opts: {
  stateDir: string;
  handle: (req: ControlRequest) => Promise<ControlResult>;
  onError: (error: unknown) => void;
  pollMs?: number;
}) {
  const dir = controlDir(opts.stateDir);
  let watcher: FSWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  let busy: Promise<void> = Promise.resolve();
  let again = false;
  let running = false;

  const drainOnce = async () => {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.request')).sort();
    for (const name of names) {
      const path = join(dir, name);
      let result: ControlResult;
      try {
        const req = JSON.parse(await readFile(path, 'utf8')) as ControlRequest;
        result = await opts.handle(req);
      } catch (e) {
        result = { ok: false, message: e instanceof Error ? e.message : String(e) };
      }
      const base = name.slice(0, -'.request'.length);
      await writeFile(join(dir, `.${base}.result`), JSON.stringify(result), { mode: 0o600 });
      await rename(join(dir, `.${base}.result`), join(dir, `${base}.result`));
      await unlink(path).catch(() => {});
    }
  };

  const kick = () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    busy = (async () => {
      do {
        again = false;
        await drainOnce().catch(opts.onError);
      } while (again);
      running = false;
    })();
  };

  return {
    async start() {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      try {
        watcher = watch(dir, () => kick());
        watcher.on('error', opts.onError);
      } catch (e) {
        opts.onError(e);
      }
      poll = setInterval(kick, opts.pollMs ?? 1000);
      poll.unref();
      kick();
    },
    async stop() {
      watcher?.close();
      if (poll) clearInterval(poll);
      await busy;
    },
  };
}
