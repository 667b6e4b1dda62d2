import { describe, expect, it } from 'vitest';
import { manualClock } from './manual-clock.js';

describe('the manual clock', () => {
  it('fires due timers in due order, ties in the order set, with time at each due instant', async () => {
    const t = manualClock(1000);
    const fired: string[] = [];
    t.clock.setTimeout(() => fired.push(`b@${t.now()}`), 20);
    t.clock.setTimeout(() => fired.push(`a@${t.now()}`), 10);
    t.clock.setTimeout(() => fired.push(`c@${t.now()}`), 20);
    t.clock.setTimeout(() => fired.push('late'), 31);
    await t.advance(30);
    expect(fired).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(t.now()).toBe(1030);
    expect(t.pending()).toBe(1);
  });

  it('fires a timer set by a callback in the same advance when it falls due before its end', async () => {
    const t = manualClock(0);
    const fired: number[] = [];
    t.clock.setTimeout(() => {
      fired.push(t.now());
      t.clock.setTimeout(() => fired.push(t.now()), 5);
    }, 5);
    await t.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it('does not fire a cleared timer', async () => {
    const t = manualClock();
    let fired = false;
    const h = t.clock.setTimeout(() => (fired = true), 1);
    t.clock.clearTimeout(h);
    await t.advance(10);
    expect(fired).toBe(false);
    expect(t.pending()).toBe(0);
  });

  it('runs timers on monotonic time: a wall-clock jump moves now() and fires nothing', async () => {
    const t = manualClock(10_000_000);
    let fired = false;
    t.clock.setTimeout(() => (fired = true), 1000);
    t.jump(-3 * 3_600_000);
    expect(t.clock.now()).toBe(10_000_000 - 3 * 3_600_000);
    expect(t.clock.monotonic()).toBe(0);
    expect(fired).toBe(false);
    await t.advance(1000);
    expect(fired).toBe(true);
    expect(t.clock.monotonic()).toBe(1000);
  });
});
