import { describe, expect, it } from 'vitest';
import { makeControlGate } from '../../src/control/control-gate.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('control gate: requests and delivery attempts never share an item', () => {
  it('a request for an item in flight waits for the attempt to end, then holds the item against new attempts', async () => {
    const rescheduled: string[] = [];
    const gate = makeControlGate({ reschedule: async (id) => void rescheduled.push(id) });
    expect(gate.beginAttempt('x')).toBe(true);
    expect(gate.inFlight('x')).toBe(true);
    const order: string[] = [];
    let release!: () => void;
    const done = gate.withItem('x', async () => {
      order.push('request starts');
      await new Promise<void>((r) => (release = r));
      order.push('request ends');
      return 'held';
    });
    await tick();
    expect(order).toEqual([]);
    gate.endAttempt('x');
    // The item passed to the request at once: an attempt that comes due now is refused.
    expect(gate.beginAttempt('x')).toBe(false);
    await tick();
    expect(order).toEqual(['request starts']);
    release();
    expect(await done).toBe('held');
    expect(rescheduled).toEqual(['x']);
    expect(gate.beginAttempt('x')).toBe(true);
  });

  it('requests for one item run one after another in the order made; other items are not held up', async () => {
    const gate = makeControlGate({ reschedule: async () => {} });
    const log: string[] = [];
    let releaseFirst!: () => void;
    const first = gate.withItem('x', async () => {
      log.push('x1 start');
      await new Promise<void>((r) => (releaseFirst = r));
      log.push('x1 end');
    });
    const second = gate.withItem('x', async () => void log.push('x2'));
    await gate.withItem('y', async () => void log.push('y'));
    expect(log).toEqual(['x1 start', 'y']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(log).toEqual(['x1 start', 'y', 'x1 end', 'x2']);
  });

  it('a failing request still gives the item back and is rescheduled', async () => {
    const rescheduled: string[] = [];
    const gate = makeControlGate({ reschedule: async (id) => void rescheduled.push(id) });
    await expect(
      gate.withItem('x', async () => Promise.reject(new Error('no such item'))),
    ).rejects.toThrow('no such item');
    expect(rescheduled).toEqual(['x']);
    expect(gate.beginAttempt('x')).toBe(true);
  });
});
