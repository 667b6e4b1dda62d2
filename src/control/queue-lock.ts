import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { foregroundClock, monotonicNow, type Clock } from '../clock.js';
import { realFs, type FsLike } from '../platform/fs-seam.js';
import { setAsideEntry, type SetAsideEntry } from '../platform/set-aside.js';
import {
  helloLine,
  lockAddress,
  probeLock,
  type LockAddress,
  type LockHolder,
} from './lock-endpoint.js';
import { errnoCode as errno } from '../platform/errno.js';

export type { LockHolder } from './lock-endpoint.js';

/** The queue lock while this process holds it. */
export interface HeldLock {
  kind: 'acquired';
  holder: LockHolder;
  address: LockAddress;
  /** What to do when a CLI command asks the daemon to read its control inbox now. */
  onWake(fn: () => void): void;
  /** Stops listening; the name is free again. Idempotent. */
  release(): Promise<void>;
}

/** Outcome of {@link acquireQueueLock}. */
export type LockResult = HeldLock | { kind: 'daemon'; holder: LockHolder };

/** Options of {@link acquireQueueLock}. */
export interface LockOptions {
  /** How long to wait for another holder (a CLI command) to finish; default 10 s. */
  waitMs?: number;
  /** A folder was where the lock's socket file goes (macOS) and was set aside (the caller logs it). */
  onSetAside?: (entry: SetAsideEntry) => void;
  /** Said in the hello, for `status`. */
  version?: string;
  /** Where the lock lives (seam for tests; default {@link lockAddress}). */
  address?: LockAddress;
  /** For a socket file's folder and what is in its way (default: the real file system). */
  fs?: FsLike;
  /**
   * Times the pauses between tries and the deadline (default: the system clock, whose timers keep
   * a waiting command alive). Each probe's own timeout waits on a real socket and runs on real
   * time (see probeLock).
   */
  clock?: Clock;
}

/** Answers everyone who connects with the holder's hello; a `wake` line calls the wake handler. */
function listen(addr: LockAddress, holder: LockHolder): Promise<HeldLock | undefined> {
  let onWake: () => void = () => {};
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // A client that never closes (it hung) must not keep a socket open for ever.
    socket.setTimeout(10_000, () => socket.destroy());
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (chunk.includes('wake')) onWake();
    });
    socket.write(helloLine(holder));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => (errno(e) === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    server.listen({ path: addr.address, exclusive: true }, () => {
      // The lock never keeps a process alive by itself.
      server.unref();
      let released: Promise<void> | undefined;
      resolve({
        kind: 'acquired',
        holder,
        address: addr,
        onWake: (fn) => (onWake = fn),
        release: () =>
          (released ??= new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            // Closing the server also removes a socket file (macOS).
            server.close(() => done());
          })),
      });
    });
  });
}

/**
 * An entry at a socket file's path that refused a connection: a socket left by a dead holder, or
 * something odd (an old-format lock file, a folder). A socket or file is removed; anything else is
 * set aside (see set-aside.ts), never deleted, so nothing of a user's is lost.
 */
async function clearStale(
  stateDir: string,
  path: string,
  ctx: { fs: FsLike; now: () => number; onSetAside?: ((entry: SetAsideEntry) => void) | undefined },
): Promise<void> {
  const { fs, now } = ctx;
  const st = await fs.stat(path).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) {
    const moved = await setAsideEntry(stateDir, path, 'folder', { fs, now }).catch(() => undefined);
    // The socket may live in /tmp (a deep state folder, macOS), on another volume: moved in place.
    if (moved) ctx.onSetAside?.(moved);
    else await fs.rename(path, `${path}.odd-${now()}`).catch(() => {});
  } else
    await fs.unlink(path).catch((e: unknown) => {
      if (errno(e) !== 'ENOENT') throw e;
    });
}

/**
 * Takes the queue lock of a state folder: listening on its {@link lockAddress}, which the operating
 * system frees when this process ends, however it ends. Whoever holds the name is asked who it is: a daemon is reported (`daemon`: the caller hands its request over, or a
 * second daemon stops); a CLI command changing the queue is waited for. A holder that is dying is
 * retried at once; one that does not answer is waited for until `waitMs`.
 */
export async function acquireQueueLock(
  stateDir: string,
  role: LockHolder['role'],
  opts: LockOptions = {},
): Promise<LockResult> {
  const addr = opts.address ?? lockAddress(stateDir);
  const fs = opts.fs ?? realFs;
  const clock = opts.clock ?? foregroundClock;
  const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
  // The wait is measured on monotonic time: a wall clock set back must not stretch it.
  const now = () => monotonicNow(clock);
  const deadline = now() + (opts.waitMs ?? 10_000);
  if (addr.kind === 'file') await fs.mkdir(dirname(addr.address), { recursive: true, mode: 0o700 });
  const holder: LockHolder = {
    pid: process.pid,
    role,
    stateDir,
    startedAt: new Date(clock.now()).toISOString(),
    ...(opts.version ? { version: opts.version } : {}),
  };
  for (;;) {
    // Asked first, then taken. On Windows and Linux the listen alone is exclusive; asking first
    // also keeps a second daemon out where it is not (Wine 8 ignores FILE_FLAG_FIRST_PIPE_INSTANCE
    // and lets a second process listen on the same pipe name), at the cost of one refused connect.
    const found = await probeLock(addr, { timeoutMs: Math.max(100, deadline - now()) });
    if (found.kind === 'held' && found.holder.role === 'daemon') {
      return { kind: 'daemon', holder: found.holder };
    }
    let pause = 25;
    if (found.kind === 'free') {
      // A socket file nobody listens on (macOS): its holder died, so it is taken over. Named pipes
      // and abstract sockets vanish with their holder: nothing to clear.
      if (addr.kind === 'file' && found.code !== 'ENOENT')
        await clearStale(stateDir, addr.address, {
          fs,
          now: clock.now,
          onSetAside: opts.onSetAside,
        });
      const held = await listen(addr, holder);
      if (held) return held;
      pause = 5; // someone else took it just now: ask who
    } else if (found.kind === 'closed') {
      pause = 5; // its holder is dying right now
    }
    if (now() >= deadline) {
      throw new Error(
        found.kind === 'held'
          ? `the queue is locked by an imspooler command (pid ${found.holder.pid}) for too long; try again`
          : `the lock of ${stateDir} is held by a process that does not answer (${addr.address.replace('\0', '@')}); try again`,
      );
    }
    if (pause > 0) await sleep(pause);
  }
}
