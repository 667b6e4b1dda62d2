import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import path from 'node:path';
import { foregroundClock, type Clock } from '../clock.js';
import { int, object, oneOf, optional, parseJson, str } from '../platform/json-shape.js';

/**
 * Where the queue lock of a state folder lives: a name the operating system frees when the process
 * holding it dies, whatever becomes of its pid afterwards.
 * - Windows: a named pipe `\\.\pipe\imspooler-<hash>` (a second listener fails EADDRINUSE);
 * - Linux: a Unix socket in the abstract namespace `\0imspooler-<hash>` (no file, atomic bind);
 * - elsewhere (macOS): a socket file `<stateDir>/queue.lock`, taken over when it refuses a
 *   connection (see queue-lock.ts for the race that remains).
 */
export interface LockAddress {
  kind: 'pipe' | 'abstract' | 'file';
  /** What `server.listen` and `net.connect` take. */
  address: string;
}

/**
 * The lock's address for a state folder. The hash is of the absolute, normalised path (lower-cased
 * on Windows, whose file names ignore case), so every spelling of one folder gives one lock.
 */
export function lockAddress(
  stateDir: string,
  platform: NodeJS.Platform = process.platform,
  cwd: string = process.cwd(),
): LockAddress {
  const p = platform === 'win32' ? path.win32 : path.posix;
  let abs = p.resolve(cwd, stateDir);
  if (abs.length > p.parse(abs).root.length) abs = abs.replace(/[\\/]+$/, '');
  if (platform === 'win32') abs = abs.toLowerCase();
  const hash = createHash('sha256').update(abs).digest('hex').slice(0, 24);
  if (platform === 'win32') return { kind: 'pipe', address: `\\\\.\\pipe\\imspooler-${hash}` };
  if (platform === 'linux') return { kind: 'abstract', address: `\0imspooler-${hash}` };
  // sun_path holds 104 bytes on macOS: a deep state folder cannot hold its own socket.
  const inside = p.join(abs, 'queue.lock');
  if (Buffer.byteLength(inside) < 100) return { kind: 'file', address: inside };
  return { kind: 'file', address: p.join('/tmp', `imspooler-${hash}.lock`) };
}

/** What the lock's holder says to whoever connects: one JSON line. */
export interface LockHolder {
  pid: number;
  /** A daemon holds the lock for its life; a CLI command for the moment it changes the queue. */
  role: 'daemon' | 'cli';
  stateDir: string;
  startedAt: string;
  version?: string;
}

/** What a connection to the lock found. */
export type ProbeResult =
  /** Nobody listens: no daemon runs (and no command changes the queue). */
  | { kind: 'free'; code: string }
  | { kind: 'held'; holder: LockHolder }
  /** Someone listens but said nothing in time (busy, stopped, or just dying). */
  | { kind: 'silent' }
  /** Someone listened and closed without a word: a holder that is dying right now. */
  | { kind: 'closed' };

/** The line a holder writes first on every connection. */
export const helloLine = (holder: LockHolder): string => `${JSON.stringify(holder)}\n`;

/** The line a client writes to make a daemon read its control inbox at once. */
export const WAKE_LINE = 'wake\n';

const helloShape = object<LockHolder>({
  pid: int,
  role: oneOf('daemon', 'cli'),
  stateDir: str,
  startedAt: str,
  version: optional(str),
});

function parseHello(line: string): LockHolder | undefined {
  const h = parseJson(line, 'the lock holder', helloShape);
  // Not ours (another program squatting the name): judged silent by the caller.
  return h.ok ? h.value : undefined;
}

/**
 * Connects to the lock, reads the holder's hello and, with `wake`, asks a daemon to read its
 * control inbox now. Never throws: every outcome is a {@link ProbeResult}.
 */
export function probeLock(
  addr: LockAddress,
  opts: { wake?: boolean; timeoutMs?: number; clock?: Clock } = {},
): Promise<ProbeResult> {
  // The timeout waits for a real process's answer on a real socket: real time by default.
  const clock = opts.clock ?? foregroundClock;
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const socket = connect(addr.address);
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      if (r.kind === 'held' && opts.wake) socket.end(WAKE_LINE);
      else socket.destroy();
      resolve(r);
    };
    const timer = clock.setTimeout(() => finish({ kind: 'silent' }), opts.timeoutMs ?? 3000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const holder = parseHello(buf.slice(0, nl));
      finish(holder ? { kind: 'held', holder } : { kind: 'silent' });
    });
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish(
        e.code === 'ECONNRESET' || e.code === 'EPIPE'
          ? { kind: 'closed' }
          : { kind: 'free', code: e.code ?? 'ERROR' },
      ),
    );
    socket.on('end', () => finish({ kind: 'closed' }));
    socket.on('close', () => finish({ kind: 'closed' }));
  });
}

/** Asks the daemon of a state folder, if one runs, to read its control inbox now. */
export const wakeDaemon = (stateDir: string): Promise<ProbeResult> =>
  probeLock(lockAddress(stateDir), { wake: true, timeoutMs: 1000 });
