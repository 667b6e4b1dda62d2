import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockAddress, probeLock, type LockAddress } from '../../src/control/lock-endpoint.js';
import { acquireQueueLock, type HeldLock } from '../../src/control/queue-lock.js';
import { manualClock } from '../support/manual-clock.js';

let dir: string;
const held: HeldLock[] = [];
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'imspooler-lock-'))));
afterEach(async () => {
  for (const h of held.splice(0)) await h.release();
  await rm(dir, { recursive: true, force: true });
});

async function take(
  stateDir: string,
  role: 'daemon' | 'cli',
  opts: Parameters<typeof acquireQueueLock>[2] = {},
) {
  const r = await acquireQueueLock(stateDir, role, opts);
  if (r.kind === 'acquired') held.push(r);
  return r;
}

describe('lock address', () => {
  it('one name per folder, however it is spelt; case folds on Windows only', () => {
    const win = (p: string) => lockAddress(p, 'win32', 'C:\\Users\\alice').address;
    expect(win('C:\\Users\\Alice\\AppData\\Local\\imspooler\\')).toBe(
      win('c:\\users\\alice\\appdata\\local\\IMSPOOLER'),
    );
    expect(win('AppData\\Local\\imspooler')).toBe(
      win('C:\\Users\\alice\\AppData\\Local\\imspooler'),
    );
    expect(win('C:\\a')).toMatch(/^\\\\\.\\pipe\\imspooler-[0-9a-f]{24}$/);
    expect(win('C:\\a')).not.toBe(win('C:\\b'));

    const linux = (p: string) => lockAddress(p, 'linux', '/home/alice').address;
    expect(linux('/var/lib/imspooler/')).toBe(linux('/var/lib/x/../imspooler'));
    expect(linux('state')).toBe(linux('/home/alice/state'));
    expect(linux('/var/lib/Imspooler')).not.toBe(linux('/var/lib/imspooler'));
    expect(linux('/a')).toMatch(/^\0imspooler-[0-9a-f]{24}$/);

    expect(lockAddress('/Users/alice/.imspooler', 'darwin')).toEqual({
      kind: 'file',
      address: '/Users/alice/.imspooler/queue.lock',
    });
    // Too deep for a socket's 104 bytes: a name in /tmp, still one per folder.
    const deep = lockAddress(`/Users/alice/${'x'.repeat(120)}`, 'darwin').address;
    expect(deep).toMatch(/^\/tmp\/imspooler-[0-9a-f]{24}\.lock$/);
  });
});

describe('queue lock', () => {
  it('is taken exclusively; a daemon is reported to whoever comes next, with its pid', async () => {
    const a = await take(dir, 'daemon', { version: '9.9.9' });
    expect(a.kind).toBe('acquired');
    expect(await acquireQueueLock(dir, 'daemon')).toMatchObject({
      kind: 'daemon',
      holder: { pid: process.pid, role: 'daemon', stateDir: dir, version: '9.9.9' },
    });
    expect(await acquireQueueLock(dir, 'cli')).toMatchObject({ kind: 'daemon' });
    if (a.kind === 'acquired') await a.release();
    expect(await probeLock(lockAddress(dir))).toMatchObject({ kind: 'free' });
    expect((await take(dir, 'daemon')).kind).toBe('acquired');
  });

  it('a daemon waits for a CLI command applying a change, then takes the lock', async () => {
    const cli = await take(dir, 'cli');
    const t = manualClock();
    let taken = false;
    const daemon = acquireQueueLock(dir, 'daemon', { clock: t.clock }).then(
      (r) => ((taken = true), r),
    );
    // The daemon has asked (and been told "a command, wait"): it pauses before asking again. The
    // answer comes over a real socket: the event loop turns (no time passes) until it has.
    while (t.pending() === 0) await new Promise((r) => setImmediate(r));
    // Another command gives up after its wait, however often it asks meanwhile.
    const o = manualClock();
    const other = acquireQueueLock(dir, 'cli', { waitMs: 100, clock: o.clock });
    await expect(o.runUntil(other, 25)).rejects.toThrow(/locked by an imspooler command/);
    expect(taken).toBe(false);
    if (cli.kind === 'acquired') await cli.release();
    const r = await t.runUntil(daemon, 25);
    expect(r.kind).toBe('acquired');
    if (r.kind === 'acquired') held.push(r);
  });

  it('a wake line reaches the holder', async () => {
    const a = await take(dir, 'daemon');
    const woken = new Promise<void>((r) => a.kind === 'acquired' && a.onWake(r));
    expect(await probeLock(lockAddress(dir), { wake: true })).toMatchObject({ kind: 'held' });
    await woken; // the holder's wake handler ran (the test times out otherwise)
  });

  describe('a socket file (macOS), exercised here through the address seam', () => {
    const fileAddr = (): LockAddress => ({ kind: 'file', address: join(dir, 'queue.lock') });

    it('takes over the socket of a holder killed with SIGKILL', async () => {
      const addr = fileAddr();
      // A real process listens there and dies without closing: the socket file stays.
      await new Promise<void>((resolve) =>
        execFile(
          process.execPath,
          [
            '-e',
            `require('net').createServer().listen(${JSON.stringify(addr.address)}, () => process.kill(process.pid, 'SIGKILL'))`,
          ],
          () => resolve(),
        ),
      );
      expect((await stat(addr.address)).isSocket()).toBe(true);
      expect(await probeLock(addr)).toMatchObject({ kind: 'free', code: 'ECONNREFUSED' });
      const r = await take(dir, 'daemon', { address: addr });
      expect(r.kind).toBe('acquired');
      expect(await acquireQueueLock(dir, 'daemon', { address: addr })).toMatchObject({
        kind: 'daemon',
      });
    });

    it('an odd entry where the lock goes (an old lock file, a folder) does not block a start', async () => {
      const addr = fileAddr();
      await writeFile(addr.address, JSON.stringify({ pid: process.pid, role: 'daemon' }));
      const a = await take(dir, 'daemon', { address: addr });
      expect(a.kind).toBe('acquired');
      if (a.kind === 'acquired') await a.release();
      await mkdir(addr.address);
      await writeFile(join(addr.address, 'keep.txt'), 'a user file');
      expect((await take(dir, 'daemon', { address: addr })).kind).toBe('acquired');
      // The folder was set aside (issue 10.6), not deleted.
      const { readdir } = await import('node:fs/promises');
      const [stamp] = await readdir(path.join(dir, 'set-aside'));
      expect(
        (await stat(path.join(dir, 'set-aside', stamp!, 'queue.lock', 'keep.txt'))).isFile(),
      ).toBe(true);
    });
  });
});
