import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, makeWorld, type World } from '../e2e/harness.js';
import { startDaemon, started, status, stopDaemon } from './helpers.js';

/**
 * One daemon per state folder, held by a lock the operating system frees when the process dies
 * (issue 8): real daemons, real signals, temp folders. Every wait is for the event the assertion
 * needs (a log line, an exit), never a sleep.
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const secondDaemon = (pid: number, stateDir: string) =>
  `imspooler: another imspooler daemon (pid ${pid}) already uses ${stateDir}\n`;

/** A loopback port free right now (the metrics listener needs a fixed one for this test). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('the queue lock, with real daemons', () => {
  it('a stale lock and daemon.json naming a live unrelated pid (and odd entries) never stop a start', async () => {
    world = await makeWorld();
    await mkdir(world.stateDir, { recursive: true });
    // What 0.1.0 left after a hard stop, its pid since reused: here the test runner's own, alive.
    const stale = { pid: process.pid, role: 'daemon', at: new Date().toISOString(), token: 'x' };
    await writeFile(join(world.stateDir, 'queue.lock'), JSON.stringify(stale));
    await writeFile(
      join(world.stateDir, 'daemon.json'),
      JSON.stringify({ pid: process.pid, startedAt: stale.at, version: '0.1.0' }),
    );
    expect((await status(world)).daemon).toEqual({ running: false });

    const d = await startDaemon(world);
    expect((await status(world)).daemon).toMatchObject({ running: true, pid: d.proc.pid });
    expect(await stopDaemon(d)).toBe(0);

    // Something odd where the old lock file was: a folder.
    await mkdir(join(world.stateDir, 'queue.lock.d'));
    await writeFile(join(world.stateDir, 'queue.lock'), '');
    const again = await startDaemon(world);
    expect(await stopDaemon(again)).toBe(0);
  });

  it('a lock holder killed mid-write (a command changing the queue, a half-written daemon.json) does not block a start', async () => {
    world = await makeWorld();
    // A queue to change: a daemon that ran once leaves its database behind (with none, `retry
    // --all` has nothing to do and never takes the lock).
    expect(await stopDaemon(await startDaemon(world))).toBe(0);
    // `retry --all` takes the lock itself (no daemon runs) and is killed while holding it. A real
    // process, not `main` in this one: the crash point SIGKILLs it, and the OS freeing the lock of a
    // dead process is what is tested.
    const w = world;
    const crashed = await new Promise<string | null>((resolve) =>
      execFile(
        process.execPath,
        [CLI, 'retry', '--all'],
        { env: { ...w.env, IMSPOOLER_TEST_CRASH_AT: 'queue-locked' } },
        (error) => resolve((error as { signal?: string } | null)?.signal ?? null),
      ),
    );
    expect(crashed).toBe('SIGKILL');
    await writeFile(join(w.stateDir, 'daemon.json'), '{"pid": 4');
    const d = await startDaemon(w);
    expect(await stopDaemon(d)).toBe(0);
  });

  it('a restart right after a kill -9 (within 50 ms: the same tick, before the exit is seen) starts', async () => {
    world = await makeWorld();
    const first = await startDaemon(world);
    let firstGone = false;
    void first.exited.then(() => (firstGone = true));
    first.proc.kill('SIGKILL');
    // Spawned in the same tick as the kill: the killed daemon may still be being torn down.
    const second = world.start();
    expect(firstGone).toBe(false);
    expect(await first.exited).toBe('SIGKILL');
    await second.waitForLine(started, 'the restarted daemon’s daemon.started');
    expect((await status(world)).daemon).toMatchObject({ running: true, pid: second.proc.pid });
    expect(await stopDaemon(second)).toBe(0);
  });

  it('two daemons racing to start: exactly one runs; the other exits 1 before it opens a port or logs', async () => {
    const port = await freePort();
    world = await makeWorld({ metrics: { listen: `127.0.0.1:${port}` } });
    const a = world.start();
    const b = world.start();
    const loser = await Promise.race([
      a.exited.then(() => a),
      b.exited.then(() => b),
      a.waitForLine(started, 'a started', 30_000).then(() => b),
      b.waitForLine(started, 'b started', 30_000).then(() => a),
    ]);
    const winner = loser === a ? b : a;
    expect(await loser.exited).toBe(1);
    await winner.waitForLine(started, 'the winner’s daemon.started');
    // The message names the daemon that runs, and nothing else was said.
    expect(loser.stderr()).toBe(secondDaemon(winner.proc.pid!, world.stateDir));
    expect(loser.lines).toEqual([]);
    // The file being written is log.file itself (rotated files get the date).
    const log = await readFile(join(world.stateDir, 'log', 'imspooler.log'), 'utf8');
    expect(log).not.toContain('failed to start');
    expect(log).not.toContain(String(loser.proc.pid));

    // And a third, started while the winner runs, is refused the same way.
    const third = world.start();
    expect(await third.exited).toBe(1);
    expect(third.stderr()).toBe(secondDaemon(winner.proc.pid!, world.stateDir));
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await stopDaemon(winner)).toBe(0);
  });

  it('status after a hard stop says not running, even when its pid is now another process’s', async () => {
    world = await makeWorld();
    const d = await startDaemon(world);
    expect((await status(world)).daemon).toMatchObject({ running: true, pid: d.proc.pid });
    d.proc.kill('SIGKILL');
    expect(await d.exited).toBe('SIGKILL');
    expect((await status(world)).daemon).toEqual({ running: false });
    // daemon.json was left behind; give its pid to a live process (this one), as Windows would.
    const infoPath = join(world.stateDir, 'daemon.json');
    const info = JSON.parse(await readFile(infoPath, 'utf8')) as { pid: number };
    expect(info.pid).toBe(d.proc.pid);
    await writeFile(infoPath, JSON.stringify({ ...info, pid: process.pid }));
    expect((await status(world)).daemon).toEqual({ running: false });
    expect((await world.cli('status')).stdout).toContain('daemon: not running');
  });
});
