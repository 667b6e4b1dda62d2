import { afterEach, describe, expect, it } from 'vitest';
import { makeScheduler } from '../../src/daemon/scheduler.js';
import { jsonItem, waitUntil } from '../e2e/harness.js';
import { makeInProcessWorld, type InProcessWorld } from './in-process.js';
import { manualClock, shiftedSystemClock, type ManualClock } from '../support/manual-clock.js';

/**
 * The clock (issue 4, part 4): the wall clock jumping forward and back by hours. Timers run on
 * monotonic time, due times are wall-clock instants; neither jump may cause a storm of retries
 * or leave an item waiting for hours.
 */

const HOUR = 3_600_000;

function recordingScheduler(c: ManualClock, concurrency = 4) {
  const runs: { id: string; at: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const scheduler = makeScheduler({
    clock: c.clock,
    concurrency,
    run: async (id) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push({ id, at: c.now() });
      await Promise.resolve();
      active--;
    },
  });
  return { scheduler, runs, maxActive: () => maxActive };
}

describe('the scheduler when the wall clock jumps', () => {
  it('forward by hours: every item that became due runs once, within a minute, at the usual concurrency', async () => {
    const c = manualClock(undefined, { turns: 20 }); // fifty runs chained at one timer
    const { scheduler, runs, maxActive } = recordingScheduler(c);
    for (let i = 0; i < 50; i++) scheduler.schedule(`item-${i}`, c.now() + HOUR + i * 1000);
    scheduler.schedule('later', c.now() + 10 * HOUR);
    c.jump(3 * HOUR);
    await c.advance(60_000);
    const ids = runs.map((r) => r.id);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
    expect(ids).not.toContain('later');
    expect(maxActive()).toBeLessThanOrEqual(4);
    // Nothing more happens until the one item still waiting is due.
    await c.advance(HOUR);
    expect(runs).toHaveLength(50);
    await c.advance(6 * HOUR);
    expect(runs.map((r) => r.id)).toEqual([...ids, 'later']);
    await scheduler.stop(1000);
  });

  it('back by hours: an item waits what it was asked to wait, not hours more', async () => {
    const c = manualClock(undefined, { turns: 20 }); // fifty runs chained at one timer
    const { scheduler, runs } = recordingScheduler(c);
    scheduler.schedule('soon', c.now() + 5_000);
    scheduler.schedule('in-an-hour', c.now() + HOUR);
    c.jump(-3 * HOUR);
    await c.advance(5_000);
    expect(runs.map((r) => r.id)).toEqual(['soon']);
    // An hour of real time later, the other one, not three hours later.
    await c.advance(HOUR - 5_000);
    expect(runs.map((r) => r.id)).toEqual(['soon', 'in-an-hour']);
    await scheduler.stop(1000);
  });

  it('back by hours during a server back-off: the pause ends on time', async () => {
    const c = manualClock(undefined, { turns: 20 }); // fifty runs chained at one timer
    const { scheduler, runs } = recordingScheduler(c);
    scheduler.pauseUntil(c.now() + 10_000);
    scheduler.schedule('waiting', c.now());
    expect(runs).toHaveLength(0);
    c.jump(-2 * HOUR);
    await c.advance(10_000);
    expect(runs.map((r) => r.id)).toEqual(['waiting']);
    await scheduler.stop(1000);
  });
});

describe('the daemon when the wall clock is set back', () => {
  let world: InProcessWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('retries a deferred item on time after the clock went back three hours, once', async () => {
    const { clock, shift } = shiftedSystemClock();
    world = await makeInProcessWorld({
      clock,
      config: { retry: { minDelay: '2s', maxDelay: '3s', maxAge: '72h', quickRetries: 0 } },
    });
    world.sandbox.faults.set({ http503: { count: 1 } });
    await world.start();
    await world.drop('jump.json', jsonItem(400, ['bob@contoso.com']));
    await waitUntil(() => world!.actions('delivery.deferred').length === 1, 'a deferral');
    shift(-3 * HOUR);
    const line = await waitUntil(() => world!.actions('delivery.succeeded')[0], 'delivery', 10_000);
    expect(line).toBeDefined();
    expect(world.sandbox.stats.createItem).toBe(1);
    expect(world.sandbox.stats.requests).toBe(2);
  });
});

describe('issue 10.4: grace runs on a monotonic clock', () => {
  let world: InProcessWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('a file in its grace period when the clock goes back three hours is taken on time', async () => {
    const { clock, shift } = shiftedSystemClock();
    world = await makeInProcessWorld({
      clock,
      config: { spool: { grace: '1500ms' } },
    });
    await world.start();
    await world.drop('graced.json', jsonItem(410, ['bob@contoso.com']));
    await waitUntil(() => world!.actions('spool.detected').length === 1, 'detection');
    const detectedAt = performance.now();
    shift(-3 * HOUR);
    await waitUntil(() => world!.actions('delivery.succeeded')[0], 'delivery', 10_000);
    // Taken once the grace period was over, not after the three hours the wall clock went back.
    expect(performance.now() - detectedAt).toBeLessThan(8000);
    expect(world.sandbox.stats.createItem).toBe(1);
  });

  it('a file whose mtime is in the future (the clock went back before it was seen) waits one grace period', async () => {
    const { clock, shift } = shiftedSystemClock();
    world = await makeInProcessWorld({
      clock,
      config: { spool: { grace: '1s' } },
    });
    shift(-3 * HOUR); // the file's mtime (real time) is three hours ahead of the daemon's clock
    await world.start();
    const started = performance.now();
    await world.drop('future.json', jsonItem(411, ['bob@contoso.com']));
    await waitUntil(() => world!.actions('delivery.succeeded')[0], 'delivery', 10_000);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1000); // the grace period was kept...
    expect(waited).toBeLessThan(8000); // ...and not the three hours
  });
});
