import { afterEach, expect, it } from 'vitest';
import { lockAddress, probeLock } from '../../src/control/lock-endpoint.js';
import { makeWorld, type World } from '../e2e/harness.js';
import { isAction } from './helpers.js';

/**
 * A service manager may stop the daemon at any moment, also while it is still starting (opening
 * the queue, recovering, scanning). Once the daemon holds its lock, a stop signal must end in a
 * clean stop (exit 0, `daemon.stopped`), never in Node's default death by signal: the stop
 * handlers are installed before the daemon starts and wait for the start to finish.
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

it.skipIf(process.platform === 'win32')(
  'SIGTERM sent the moment the lock is held (the daemon still starting) stops it cleanly',
  async () => {
    world = await makeWorld();
    const d = world.start();
    const addr = lockAddress(world.stateDir);
    // The first moment the daemon answers on its lock: it has not logged daemon.started yet.
    for (;;) {
      const r = await probeLock(addr, { timeoutMs: 200 });
      if (r.kind === 'held' && r.holder.role === 'daemon') break;
    }
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(d.lines.filter(isAction('daemon.stopped'))).toHaveLength(1);
  },
);
