import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../../src/platform/node-flags.js';
import { makeWorld, type World } from './harness.js';

/**
 * The daemon as a service definition of a script install starts it (`node <flags> bin/imspooler.js
 * run`): node takes them and the daemon says so in `daemon.started`, where support looks when memory
 * looks wrong. The self-contained programs' flags are checked by the smoke tests.
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe("the daemon's node flags", () => {
  it('are listed in daemon.started, with the Node.js version', async () => {
    world = await makeWorld();
    const d = world.start(undefined, DAEMON_NODE_FLAGS);
    const started = await d.waitForLine((l) => l.event?.action === 'daemon.started', 'started');
    expect(started.imspooler?.node).toEqual({
      version: process.versions.node,
      flags: ['--max-semi-space-size=8'],
    });
  });

  it('are absent where nobody passed them (node bin/imspooler.js run)', async () => {
    world = await makeWorld();
    const d = world.start();
    const started = await d.waitForLine((l) => l.event?.action === 'daemon.started', 'started');
    expect(started.imspooler?.node).toMatchObject({ flags: [] });
  });

  it('are the ones `npm start` passes (package.json cannot import them, so it repeats them)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
    expect(pkg.scripts.start).toBe(`node ${DAEMON_NODE_FLAGS.join(' ')} bin/imspooler.js run`);
  });
});
