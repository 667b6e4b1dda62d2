import { describe, expect, it } from 'vitest';
import { makeDueFeed } from '../../src/daemon/due-feed.js';
import { makeScheduler } from '../../src/daemon/scheduler.js';
import type { DueCursor, WaitingRow } from '../../src/queue/queue-store.js';
import { flush, manualClock } from '../support/manual-clock.js';

/** A queue of waiting rows in the store's order (due at once first, then by due time, then ID). */
function fakeQueue(rows: { id: string; at?: number }[]) {
  const sorted = rows
    .map((r) => ({ id: r.id, due: r.at === undefined ? '' : new Date(r.at).toISOString() }))
    .sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : a.id < b.id ? -1 : 1));
  let reads = 0;
  const gone = new Set<string>();
  return {
    gone,
    reads: () => reads,
    page(after: DueCursor | undefined, limit: number): WaitingRow[] {
      reads++;
      const from = after
        ? sorted.findIndex((r) => r.due > after.due || (r.due === after.due && r.id > after.id))
        : 0;
      if (from < 0) return [];
      return sorted
        .slice(from)
        .filter((r) => !gone.has(r.id))
        .slice(0, limit)
        .map((r) => ({
          id: r.id,
          state: r.due ? 'deferred' : 'incoming',
          firstSeenAt: '2026-11-24T09:00:00.000Z',
          cursor: { due: r.due, id: r.id },
          ...(r.due ? { nextAttemptAt: r.due } : {}),
        }));
    },
  };
}

describe('due feed', () => {
  it('delivers a big queue while the scheduler never holds more than a page and the low mark', async () => {
    const { clock } = manualClock();
    const q = fakeQueue(
      Array.from({ length: 1000 }, (_, i) => ({ id: `i${String(i).padStart(4, '0')}` })),
    );
    const ran: string[] = [];
    let most = 0;
    // eslint-disable-next-line prefer-const
    let feed: ReturnType<typeof makeDueFeed>;
    const s = makeScheduler({
      clock,
      concurrency: 4,
      run: async (id) => {
        most = Math.max(most, s.waiting());
        ran.push(id);
        q.gone.add(id); // delivered: it left the queue
        feed.topUp();
      },
    });
    feed = makeDueFeed({
      page: (after, limit) => q.page(after, limit),
      scheduler: s,
      schedule: (r) =>
        s.schedule(r.id, r.nextAttemptAt ? Date.parse(r.nextAttemptAt) : clock.now()),
      now: () => clock.now(),
      pageSize: 50,
      low: 20,
    });
    feed.topUp();
    for (let i = 0; i < 200 && ran.length < 1000; i++) await flush();
    expect(new Set(ran).size).toBe(1000);
    expect(ran).toHaveLength(1000);
    expect(most).toBeLessThanOrEqual(70);
    expect(feed.done()).toBe(true);
  });

  it('reads on when an item after the cursor is due before everything the scheduler holds', () => {
    const { clock } = manualClock();
    const t = clock.now();
    // Page 1 (size 2): due in 1 and 2 minutes. Page 2: one due in 3 minutes.
    const q = fakeQueue([
      { id: 'a', at: t + 60_000 },
      { id: 'b', at: t + 120_000 },
      { id: 'c', at: t + 180_000 },
    ]);
    const s = makeScheduler({ clock, concurrency: 1, run: async () => {} });
    const feed = makeDueFeed({
      page: (after, limit) => q.page(after, limit),
      scheduler: s,
      schedule: (r) => s.schedule(r.id, Date.parse(r.nextAttemptAt!)),
      now: () => clock.now(),
      pageSize: 2,
      low: 1,
    });
    feed.topUp();
    expect([s.isScheduled('a'), s.isScheduled('b'), s.isScheduled('c')]).toEqual([
      true,
      true,
      false,
    ]);
    // An operator holds a and b: what the scheduler holds is now later than the cursor (nothing).
    s.unschedule('a');
    s.unschedule('b');
    q.gone.add('a');
    q.gone.add('b');
    feed.topUp();
    expect(s.isScheduled('c')).toBe(true);
    expect(feed.done()).toBe(true);
  });

  it('never moves an item that is already scheduled or running', () => {
    const { clock } = manualClock();
    const t = clock.now();
    const q = fakeQueue([{ id: 'a' }, { id: 'b' }]);
    const s = makeScheduler({ clock, concurrency: 1, run: () => new Promise(() => {}) });
    // Deferred by the worker to later than the database says (its save is in flight).
    s.schedule('a', t + 3_600_000);
    const feed = makeDueFeed({
      page: (after, limit) => q.page(after, limit),
      scheduler: s,
      schedule: (r) => s.schedule(r.id, clock.now()),
      now: () => clock.now(),
    });
    feed.topUp();
    expect(s.nextDueAt()).toBe(t + 3_600_000); // b started running at once; a kept its time
    expect(s.isRunning('b')).toBe(true);
    expect(q.reads()).toBe(1);
  });
});
