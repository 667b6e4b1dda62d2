import { afterEach, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import { lockAddress, probeLock } from '../../src/control/lock-endpoint.js';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import { errno, makeInProcessWorld, type InProcessWorld } from '../reliability/in-process.js';

/**
 * Issue 12.5: a start that fails after the queue lock, the database, the transport, the scheduler
 * and the control inbox were taken releases them all before it reports its error: the lock is
 * free for the next start, and no timer of the failed daemon is left to run.
 */

let world: InProcessWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The system clock, keeping count of the timers set through it that have not fired or been cleared. */
function countingClock(): { clock: Clock; pending: () => number } {
  const live = new Set<unknown>();
  const clock: Clock = {
    ...systemClock,
    setTimeout: (fn, ms) => {
      const h = systemClock.setTimeout(() => {
        live.delete(h);
        fn();
      }, ms);
      live.add(h);
      return h;
    },
    clearTimeout: (h) => {
      live.delete(h);
      systemClock.clearTimeout(h);
    },
  };
  return { clock, pending: () => live.size };
}

it('a start failing after the lock was taken releases the lock and stops what it started; the next start succeeds', async () => {
  // daemon.json is written late in the start, after everything else is open.
  let failing = true;
  const fs: FsLike = {
    ...realFs,
    writeFile: (async (path, ...rest) => {
      if (failing && String(path).includes('daemon.json')) throw errno('EIO', 'write', String(path)); // prettier-ignore
      return realFs.writeFile(path, ...rest);
    }) as FsLike['writeFile'],
    open: (async (path, ...rest) => {
      if (failing && String(path).includes('daemon.json')) throw errno('EIO', 'open', String(path)); // prettier-ignore
      return realFs.open(path, ...rest);
    }) as FsLike['open'],
  };
  const { clock, pending } = countingClock();
  world = await makeInProcessWorld({ fs, clock });

  await expect(world.start()).rejects.toMatchObject({ code: 'EIO' });
  expect(world.actions('daemon.started')).toEqual([]);
  // Released: the lock answers no more, and the history pruning and scheduler timers are gone.
  expect(await probeLock(lockAddress(world.stateDir), { timeoutMs: 1000 })).toMatchObject({
    kind: 'free',
  });
  expect(pending()).toBe(0);
  // No release failed (they would be logged as `failed start: <what>: <why>`).
  expect(world.lines.filter((l) => /^failed start/.test(l.message))).toEqual([]);

  failing = false;
  const d = await world.start();
  expect(world.actions('daemon.started')).toHaveLength(1);
  await d.stop('test over');
  expect(world.actions('daemon.stopped')).toHaveLength(1);
});
