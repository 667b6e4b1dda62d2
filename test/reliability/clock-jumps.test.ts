import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { makeScheduler } from '../../src/daemon/scheduler.js';
import { jsonItem, waitUntil } from '../e2e/harness.js';
import { makeInProcessWorld, type InProcessWorld } from './in-process.js';

/**
 * The clock (issue 4, part 4): the wall clock jumping forward and back by hours. Timers run on
 * monotonic time, due times are wall-clock instants; neither jump may cause a storm of retries
 * or leave an item waiting for hours.
 */

const HOUR = 3_600_000;

/** Wall time moves with `advance` and alone with `jump`; timers fire on monotonic time only. */
function jumpingClock(start = Date.parse('2026-11-24T10:00:00Z')) {
  let wall = start;
  let mono = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => wall,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: mono + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const flush = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return {
    clock,
    wall: () => wall,
    jump: (ms: number) => void (wall += ms),
    async advance(ms: number) {
      const end = mono + ms;
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        timers.delete(next[0]);
        wall += next[1].at - mono;
        mono = next[1].at;
        next[1].fn();
        await flush();
      }
      wall += end - mono;
      mono = end;
      await flush();
    },
  };
}

function recordingScheduler(c: ReturnType<typeof jumpingClock>, concurrency = 4) {
  const runs: { id: string; at: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const scheduler = makeScheduler({
    clock: c.clock,
    concurrency,
    run: async (id) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push({ id, at: c.wall() });
      await Promise.resolve();
      active--;
    },
  });
  return { scheduler, runs, maxActive: () => maxActive };
}

describe('the scheduler when the wall clock jumps', () => {
  it('forward by hours: every item that became due runs once, within a minute, at the usual concurrency', async () => {
    const c = jumpingClock();
    const { scheduler, runs, maxActive } = recordingScheduler(c);
    for (let i = 0; i < 50; i++) scheduler.schedule(`item-${i}`, c.wall() + HOUR + i * 1000);
    scheduler.schedule('later', c.wall() + 10 * HOUR);
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
    const c = jumpingClock();
    const { scheduler, runs } = recordingScheduler(c);
    scheduler.schedule('soon', c.wall() + 5_000);
    scheduler.schedule('in-an-hour', c.wall() + HOUR);
    c.jump(-3 * HOUR);
    await c.advance(5_000);
    expect(runs.map((r) => r.id)).toEqual(['soon']);
    // An hour of real time later, the other one, not three hours later.
    await c.advance(HOUR - 5_000);
    expect(runs.map((r) => r.id)).toEqual(['soon', 'in-an-hour']);
    await scheduler.stop(1000);
  });

  it('back by hours during a server back-off: the pause ends on time', async () => {
    const c = jumpingClock();
    const { scheduler, runs } = recordingScheduler(c);
    scheduler.pauseUntil(c.wall() + 10_000);
    scheduler.schedule('waiting', c.wall());
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
    let offset = 0;
    const clock: Clock = {
      now: () => Date.now() + offset,
      setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    world = await makeInProcessWorld({
      clock,
      config: { retry: { minDelay: '2s', maxDelay: '3s', maxAge: '72h', quickRetries: 0 } },
    });
    world.sandbox.faults.set({ http503: { count: 1 } });
    await world.start();
    await world.drop('jump.json', jsonItem(400, ['bob@contoso.com']));
    await waitUntil(() => world!.actions('delivery.deferred').length === 1, 'a deferral');
    offset = -3 * HOUR;
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
    let offset = 0;
    const clock: Clock = {
      now: () => Date.now() + offset,
      setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      monotonic: () => performance.now(),
    };
    world = await makeInProcessWorld({
      clock,
      config: { spool: { grace: '1500ms' } },
    });
    await world.start();
    await world.drop('graced.json', jsonItem(410, ['bob@contoso.com']));
    await waitUntil(() => world!.actions('spool.detected').length === 1, 'detection');
    const detectedAt = performance.now();
    offset = -3 * HOUR;
    await waitUntil(() => world!.actions('delivery.succeeded')[0], 'delivery', 10_000);
    // Taken once the grace period was over, not after the three hours the wall clock went back.
    expect(performance.now() - detectedAt).toBeLessThan(8000);
    expect(world.sandbox.stats.createItem).toBe(1);
  });

  it('a file whose mtime is in the future (the clock went back before it was seen) waits one grace period', async () => {
    let offset = 0;
    const clock: Clock = {
      now: () => Date.now() + offset,
      setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      monotonic: () => performance.now(),
    };
    world = await makeInProcessWorld({
      clock,
      config: { spool: { grace: '1s' } },
    });
    offset = -3 * HOUR; // the file's mtime (real time) is three hours ahead of the daemon's clock
    await world.start();
    const started = performance.now();
    await world.drop('future.json', jsonItem(411, ['bob@contoso.com']));
    await waitUntil(() => world!.actions('delivery.succeeded')[0], 'delivery', 10_000);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1000); // the grace period was kept...
    expect(waited).toBeLessThan(8000); // ...and not the three hours
  });
});
