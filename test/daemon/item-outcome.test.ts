import { describe, expect, it } from 'vitest';
import { applyOutcome } from '../../src/daemon/item-outcome.js';
import { makeScheduler } from '../../src/daemon/scheduler.js';
import type { EventLog } from '../../src/log/event-log.js';
import { manualClock } from '../support/manual-clock.js';

/** The one place a worker's outcome reaches the scheduler: the real scheduler, a manual clock. */
function setup(concurrency = 3) {
  const { clock, advance } = manualClock();
  const ran: { id: string; at: number }[] = [];
  const diags: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log: EventLog = {
    event: () => {},
    diag: (level, message, fields) => void diags.push({ level, message, ...(fields ? { fields } : {}) }), // prettier-ignore
    close: async () => {},
  };
  const backoffs: number[] = [];
  const scheduler = makeScheduler({
    clock,
    concurrency,
    run: async (id) => void ran.push({ id, at: clock.now() }),
  });
  const apply = (id: string, o: Parameters<typeof applyOutcome>[2]) =>
    applyOutcome({ scheduler, log, onServerBackoff: (t) => backoffs.push(t) }, id, o);
  return { clock, advance, ran, diags, backoffs, scheduler, apply };
}

describe('applyOutcome', () => {
  it('reschedules the item: it runs when due, not before', async () => {
    const t = setup();
    const at = t.clock.now() + 5000;
    t.apply('a', { rescheduleAt: at });
    expect(t.scheduler.isScheduled('a')).toBe(true);
    await t.advance(4999);
    expect(t.ran).toEqual([]);
    await t.advance(1);
    expect(t.ran).toEqual([{ id: 'a', at }]);
    await t.scheduler.stop(1000);
  });

  it('a server back-off holds every item until it ends, and the metrics hear of it', async () => {
    const t = setup();
    const until = t.clock.now() + 10_000;
    t.apply('a', { pauseUntil: until, rescheduleAt: until });
    t.scheduler.schedule('other', t.clock.now()); // due now, yet held
    expect(t.scheduler.pausedUntil()).toBe(until);
    expect(t.backoffs).toEqual([until]);
    await t.advance(9_999);
    expect(t.ran).toEqual([]);
    await t.advance(1);
    expect(t.ran.map((r) => r.id).sort()).toEqual(['a', 'other']);
    await t.scheduler.stop(1000);
  });

  it('too many connections: one fewer at once each time, never below one, said in the log', () => {
    const t = setup(2);
    t.apply('a', { lowerConcurrency: 'ErrorExceededConnectionCount', rescheduleAt: 1 });
    t.apply('b', { lowerConcurrency: 'Http429' });
    expect(t.scheduler.concurrency()).toBe(1);
    expect(t.diags).toEqual([
      {
        level: 'warn',
        message:
          'server reports too many connections (ErrorExceededConnectionCount); now 1 at once',
        fields: { concurrency: 1 },
      },
      {
        level: 'warn',
        message: 'server reports too many connections (Http429); now 1 at once',
        fields: { concurrency: 1 },
      },
    ]);
  });

  it('an interrupted run is logged as an internal error; an empty outcome changes nothing', () => {
    const t = setup();
    t.apply('a', {});
    expect(t.scheduler.isScheduled('a')).toBe(false);
    expect(t.diags).toEqual([]);
    t.apply('a', { interrupted: { error: new Error('disk I/O error') } });
    expect(t.diags).toEqual([
      { level: 'error', message: 'internal error while delivering a: disk I/O error' },
    ]);
  });
});
