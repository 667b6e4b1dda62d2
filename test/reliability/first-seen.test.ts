import { afterEach, describe, expect, it } from 'vitest';
import { makeQueueStore } from '../../src/queue/queue-store.js';
import { jsonItem, waitUntil } from '../e2e/harness.js';
import { makeInProcessWorld, type InProcessWorld } from './in-process.js';
import { shiftedSystemClock } from '../support/manual-clock.js';

let world: InProcessWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const MINUTE = 60_000;

describe('when an item was first seen', () => {
  it('issue 10.14: firstSeenAt is when the file was found, not when its grace period ended and it was claimed', async () => {
    const c = shiftedSystemClock();
    // The policy holds every item, so it stays in the queue to be looked at.
    world = await makeInProcessWorld({
      clock: c.clock,
      config: { spool: { grace: '2s', rescan: '60s' }, policy: { offlineIm: false } },
    });
    await world.start();
    const foundAt = c.clock.now();
    await world.drop('a.json', jsonItem(1, ['bob@contoso.com']));
    await waitUntil(() => world!.actions('spool.detected').length === 1, 'spool.detected');
    // Ten minutes pass on the wall clock before the grace period ends (a slow grace, a suspended
    // laptop): the claim happens ten minutes after the file was found.
    c.shift(10 * MINUTE);
    await waitUntil(() => world!.actions('item.held').length === 1, 'item.held', 10_000);

    const [meta] = await makeQueueStore({ stateDir: world.stateDir }).list();
    expect(meta).toBeDefined();
    const firstSeen = Date.parse(meta!.firstSeenAt);
    const claimed = Date.parse(meta!.claimedAt);
    expect(claimed - foundAt).toBeGreaterThanOrEqual(10 * MINUTE);
    // Found before the jump: what status ages, retry.maxAge and the oldest-item metric count from.
    expect(firstSeen - foundAt).toBeGreaterThanOrEqual(0);
    expect(firstSeen - foundAt).toBeLessThan(MINUTE);
  }, 30_000);
});
