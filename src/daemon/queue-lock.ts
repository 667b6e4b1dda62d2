import { randomBytes } from 'node:crypto';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setAsideIfUnexpected, type SetAsideEntry } from '../platform/set-aside.js';
import { processAlive } from './daemon-state.js';

/**
 * `<stateDir>/queue.lock`: who may change the queue. The daemon holds it for its whole life; a
 * CLI command holds it for the milliseconds it takes to apply a change when no daemon runs. So a
 * daemon that starts while `hold` is being applied waits for it, and a CLI command that finds the
 * daemon's lock hands its request to the daemon instead of touching the queue itself.
 */
export const queueLockPath = (stateDir: string): string => join(stateDir, 'queue.lock');

/** What the lock file holds. */
export interface LockHolder {
  pid: number;
  role: 'daemon' | 'cli';
  at: string;
  token: string;
}

/** Outcome of {@link acquireQueueLock}. */
export type LockResult =
  | { kind: 'acquired'; holder: LockHolder; release: () => Promise<void> }
  | { kind: 'daemon'; holder: LockHolder };

/** Options of {@link acquireQueueLock}. */
export interface LockOptions {
  /** How long to wait for another holder (a CLI command) to finish; default 10 s. */
  waitMs?: number;
  /** A CLI lock older than this is stale whatever its pid says (pid reuse); default 60 s. */
  staleCliMs?: number;
  /** Is that process alive? (seam for tests) */
  alive?: (pid: number) => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Something other than a file was in the lock's place and was set aside (the caller logs it). */
  onSetAside?: (entry: SetAsideEntry) => void;
}

/** Tokens of locks this process holds: a lock naming our own pid but not one of these is stale. */
const heldHere = new Set<string>();

const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

async function readHolder(
  path: string,
): Promise<{ holder?: LockHolder; mtimeMs?: number } | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    try {
      const h = JSON.parse(text) as Partial<LockHolder>;
      if (
        Number.isInteger(h.pid) &&
        (h.role === 'daemon' || h.role === 'cli') &&
        typeof h.token === 'string'
      ) {
        return { holder: h as LockHolder, mtimeMs: st.mtimeMs };
      }
    } catch {
      // Half-written (the holder is between create and write) or damaged: judged by its age.
    }
    return { mtimeMs: st.mtimeMs };
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Takes the queue lock with O_EXCL. Returns `daemon` (without taking it) when a live daemon holds
 * it; waits while a live CLI command holds it; removes a lock whose holder is gone.
 */
export async function acquireQueueLock(
  stateDir: string,
  role: LockHolder['role'],
  opts: LockOptions = {},
): Promise<LockResult> {
  const path = queueLockPath(stateDir);
  const now = opts.now ?? Date.now;
  const alive = opts.alive ?? processAlive;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (opts.waitMs ?? 10_000);
  const staleCliMs = opts.staleCliMs ?? 60_000;
  for (;;) {
    const holder: LockHolder = {
      pid: process.pid,
      role,
      at: new Date(now()).toISOString(),
      token: randomBytes(8).toString('hex'),
    };
    try {
      await writeFile(path, JSON.stringify(holder), { flag: 'wx', mode: 0o600 });
      heldHere.add(holder.token);
      return { kind: 'acquired', holder, release: () => releaseLock(path, holder.token) };
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
    // A folder (or link) where the lock file belongs holds no lock; reading it fails (EISDIR).
    const odd = await setAsideIfUnexpected(stateDir, path);
    if (odd) {
      opts.onSetAside?.(odd);
      continue;
    }
    const found = await readHolder(path);
    if (!found) continue; // released meanwhile
    const h = found.holder;
    const age = now() - (h ? Date.parse(h.at) : (found.mtimeMs ?? 0));
    const stale = !h
      ? age > 2000
      : (h.pid === process.pid ? !heldHere.has(h.token) : !alive(h.pid)) ||
        (h.role === 'cli' && age > staleCliMs);
    if (stale) {
      await unlink(path).catch((e: unknown) => {
        if (errno(e) !== 'ENOENT') throw e;
      });
      continue;
    }
    if (h?.role === 'daemon') return { kind: 'daemon', holder: h };
    if (now() >= deadline) {
      throw new Error(
        `the queue is locked by ${h ? `an imspooler command (pid ${h.pid})` : 'another process'} for too long; if no imspooler runs, remove ${path}`,
      );
    }
    await sleep(50);
  }
}

/** Removes the lock if it is still ours (a stale-lock breaker may have replaced it). */
async function releaseLock(path: string, token: string): Promise<void> {
  if (!heldHere.delete(token)) return;
  const found = await readHolder(path).catch(() => undefined);
  if (found?.holder?.token === token) await unlink(path).catch(() => {});
}
