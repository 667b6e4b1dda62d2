import { describe, expect, it } from 'vitest';
import { DueHeap } from '../../src/due-heap.js';
import { makeScheduler } from '../../src/daemon/scheduler.js';
import { flush, manualClock } from '../support/manual-clock.js';

describe('DueHeap', () => {
  it('pops in due order and skips rescheduled or deleted entries', () => {
    const h = new DueHeap();
    h.set('a', 30);
    h.set('b', 10);
    h.set('c', 20);
    h.set('b', 40); // moved later
    h.delete('c');
    expect(h.popDue(25)).toBeUndefined();
    expect(h.popDue(35)).toBe('a');
    expect(h.popDue(100)).toBe('b');
    expect(h.size).toBe(0);
  });

  it('stays correct across many reschedules', () => {
    const h = new DueHeap();
    for (let i = 0; i < 1000; i++) h.set(`i${i % 50}`, 1000 - i);
    const out: number[] = [];
    for (;;) {
      const top = h.peek();
      if (!top) break;
      out.push(top.at);
      h.popDue(Infinity);
    }
    expect(out).toHaveLength(50);
    expect([...out].sort((a, b) => a - b)).toEqual(out);
  });
});

describe('scheduler', () => {
  it('runs an item when it becomes due, not before', async () => {
    const { clock, advance } = manualClock();
    const ran: string[] = [];
    const s = makeScheduler({ clock, concurrency: 2, run: async (id) => void ran.push(id) });
    s.schedule('x', clock.now() + 5000);
    await advance(4999);
    expect(ran).toEqual([]);
    await advance(1);
    expect(ran).toEqual(['x']);
  });

  it('never runs more than the concurrency limit at once', async () => {
    const { clock, advance } = manualClock();
    let inFlight = 0;
    let max = 0;
    const release: (() => void)[] = [];
    const s = makeScheduler({
      clock,
      concurrency: 2,
      run: () => {
        inFlight++;
        max = Math.max(max, inFlight);
        return new Promise<void>((r) => release.push(() => (inFlight--, r())));
      },
    });
    for (let i = 0; i < 5; i++) s.schedule(`i${i}`, clock.now());
    await advance(0);
    expect(inFlight).toBe(2);
    while (release.length) {
      release.shift()!();
      await flush();
    }
    await flush();
    expect(max).toBe(2);
    s.setConcurrency(1);
    expect(s.concurrency()).toBe(1);
  });

  it('a server pause holds back every item until it ends', async () => {
    const { clock, advance } = manualClock();
    const ran: string[] = [];
    const s = makeScheduler({ clock, concurrency: 4, run: async (id) => void ran.push(id) });
    s.pauseUntil(clock.now() + 10_000);
    s.schedule('a', clock.now());
    s.schedule('b', clock.now() + 1000);
    await advance(9_000);
    expect(ran).toEqual([]);
    await advance(1_000);
    expect(ran.sort()).toEqual(['a', 'b']);
  });

  it('waits with one timer, not by polling', async () => {
    const { clock, pending } = manualClock();
    const s = makeScheduler({ clock, concurrency: 1, run: async () => {} });
    for (let i = 0; i < 100; i++) s.schedule(`i${i}`, clock.now() + 3_600_000 + i);
    expect(pending()).toBe(1);
  });

  it('stop waits for work in flight, then aborts it after the bound', async () => {
    const { clock, advance } = manualClock();
    let aborted = false;
    const s = makeScheduler({
      clock,
      concurrency: 1,
      run: (_id, signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
    });
    s.schedule('a', clock.now());
    await advance(0);
    const stopped = s.stop(5000);
    await advance(4999);
    expect(aborted).toBe(false);
    await advance(1);
    await expect(stopped).resolves.toEqual({ abandoned: 1 });
    expect(aborted).toBe(true);
  });
});
