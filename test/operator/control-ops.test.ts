import { describe, expect, it } from 'vitest';
import { makeControlGate } from '../../src/control/control-gate.js';
import {
  applyControl,
  type ControlRequest,
  type ControlStore,
} from '../../src/control/control-ops.js';
import type { ItemMeta, ItemState } from '../../src/queue/item-meta.js';
import { deferredMeta, makeMeta, NOW } from '../status/fixtures.js';
import { captureLog } from './capture-log.js';

/** The queue in memory: enough of the store's contract for control (state moves by `toState`). */
function memoryStore(items: ItemMeta[]): ControlStore & { items: Map<string, ItemMeta> } {
  const map = new Map(items.map((m) => [m.id, structuredClone(m)]));
  return {
    items: map,
    get: async (id) => structuredClone(map.get(id)),
    list: async (states?: ItemState[]) =>
      [...map.values()]
        .filter((m) => !states || states.includes(m.state))
        .map((m) => structuredClone(m)),
    save: async (meta, toState) => {
      const next = { ...structuredClone(meta), state: toState ?? meta.state, seq: meta.seq + 1 };
      map.set(meta.id, next);
      return next;
    },
    remove: async (id) => {
      const m = map.get(id);
      if (!m) throw new Error('gone');
      map.delete(id);
      return m;
    },
    hasContent: async () => true,
  };
}

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const req = (op: ControlRequest['op'], id: string): ControlRequest => ({
  op,
  id,
  user: 'carol',
  requestedAt: new Date(NOW).toISOString(),
});
const now = () => NOW;

describe('applyControl', () => {
  it('hold parks an item, release makes it due now with a fresh retry window; both logged with who asked', async () => {
    const store = memoryStore([deferredMeta(A)]);
    const log = captureLog();
    expect((await applyControl(store, req('hold', A), log, now)).message).toBe(
      'held aaaaaaaaaaaa: it is not sent until released',
    );
    expect(store.items.get(A)).toMatchObject({ state: 'held', heldReason: 'held by carol' });
    expect(store.items.get(A)!.nextAttemptAt).toBeUndefined();
    expect((await applyControl(store, req('hold', A), log, now)).message).toMatch(/already held/);
    expect((await applyControl(store, req('release', A), log, now)).message).toBe(
      'released aaaaaaaaaaaa: due now',
    );
    const m = store.items.get(A)!;
    expect(m.state).toBe('incoming');
    expect(m.heldReason).toBeUndefined();
    expect(m.nextAttemptAt).toBe(new Date(NOW).toISOString());
    expect(m.retryWindowFrom).toBe(m.nextAttemptAt);
    expect(
      log.events.map((e) => [
        e.action,
        e.fields.extra?.requested_by,
        e.fields.extra?.previous_state,
      ]),
    ).toEqual([
      ['item.held', 'carol', 'deferred'],
      ['item.released', 'carol', 'held'],
    ]);
    expect(log.events[0]!.fields).toMatchObject({
      itemId: A,
      filePath: '/home/alice/History Spooler/im-1.json',
    });
  });

  it('delete removes the item and logs who deleted what, never the subject or body', async () => {
    const store = memoryStore([deferredMeta(A)]);
    const log = captureLog();
    const r = await applyControl(store, req('delete', A), log, now);
    expect(r.message).toBe(
      'deleted aaaaaaaaaaaa for good (from alice@contoso.com to bob@contoso.com)',
    );
    expect(store.items.size).toBe(0);
    const line = log.events[0]!;
    expect(line.action).toBe('item.deleted');
    expect(line.fields.extra).toMatchObject({
      requested_by: 'carol',
      previous_state: 'deferred',
      attempts: 2,
      size: 321,
    });
    expect(line.fields.email).toEqual({
      from: 'alice@contoso.com',
      to: ['bob@contoso.com'],
      cc: [],
    });
    expect(JSON.stringify(line)).not.toContain('Are you free?');
  });

  it('refuses what does not fit the state, with a hint, and changes nothing', async () => {
    const store = memoryStore([
      makeMeta({ id: A, state: 'held', heldReason: 'held by bob' }),
      makeMeta({ id: B, state: 'quarantined', quarantine: { code: 'InvalidJson', message: 'x' } }),
    ]);
    const log = captureLog();
    await expect(applyControl(store, req('retry', A), log, now)).rejects.toThrow(
      'item aaaaaaaaaaaa is held: use "imspooler release aaaaaaaaaaaa" to send it again',
    );
    await expect(applyControl(store, req('release', B), log, now)).rejects.toThrow(
      /is quarantined, not held/,
    );
    await expect(applyControl(store, req('retry', B), log, now)).rejects.toThrow(
      /\(InvalidJson\): it can never be sent as it is/,
    );
    await expect(applyControl(store, req('hold', 'c'.repeat(64)), log, now)).rejects.toThrow(
      /no item cccccccccccc in the queue/,
    );
    await expect(applyControl(store, req('hold', '*'), log, now)).rejects.toThrow(
      /--all works with retry only/,
    );
    expect(store.items.get(A)!.seq).toBe(1);
    expect(log.events).toEqual([]);
  });

  it('retry --all makes every deferred and failed item due, skips those in flight, and logs each one and a summary', async () => {
    const C = 'c'.repeat(64);
    const store = memoryStore([
      deferredMeta(A),
      makeMeta({ id: B, state: 'failed', lastError: { code: 'ErrorAccessDenied', message: 'x' } }),
      deferredMeta(C),
      makeMeta({ id: 'd'.repeat(64), state: 'held', heldReason: 'x' }),
    ]);
    const gate = makeControlGate({ reschedule: async () => {} });
    gate.beginAttempt(C);
    const log = captureLog();
    const r = await applyControl(store, req('retry', '*'), log, now, gate);
    expect(r).toMatchObject({
      count: 2,
      message: '2 item(s) made due now; 1 being delivered right now',
    });
    expect([...store.items.values()].map((m) => m.state).sort()).toEqual([
      'deferred',
      'held',
      'incoming',
      'incoming',
    ]);
    expect(log.events.map((e) => e.fields.itemId ?? 'summary')).toEqual([A, B, 'summary']);
    expect(log.events.at(-1)!.fields.extra).toEqual({
      requested_by: 'carol',
      all: true,
      count: 2,
      in_flight: 1,
    });
    expect((await applyControl(memoryStore([]), req('retry', '*'), log, now)).message).toBe(
      'no deferred or failed items to retry',
    );
  });

  it('a request for an item in flight is answered at once and applied when the attempt ends', async () => {
    const store = memoryStore([deferredMeta(A)]);
    const gate = makeControlGate({ reschedule: async () => {} });
    const log = captureLog();
    gate.beginAttempt(A);
    const r = await applyControl(store, req('hold', A), log, now, gate);
    expect(r.pending).toBe(true);
    expect(r.message).toMatch(
      /being delivered right now; hold applies as soon as this attempt ends/,
    );
    expect(store.items.get(A)!.state).toBe('deferred');
    gate.endAttempt(A);
    await new Promise((res) => setImmediate(res));
    expect(store.items.get(A)!.state).toBe('held');
    expect(log.events.map((e) => e.action)).toEqual(['item.held']);
  });

  it('a pending request whose item got delivered meanwhile is logged as not applied', async () => {
    const store = memoryStore([deferredMeta(A)]);
    const gate = makeControlGate({ reschedule: async () => {} });
    const log = captureLog();
    gate.beginAttempt(A);
    await applyControl(store, req('delete', A), log, now, gate);
    store.items.delete(A); // delivered by the attempt in flight
    gate.endAttempt(A);
    await new Promise((res) => setImmediate(res));
    expect(log.events).toHaveLength(1);
    expect(log.events[0]).toMatchObject({
      action: 'item.deleted',
      outcome: 'failure',
      fields: { itemId: A, extra: { requested_by: 'carol' } },
    });
    expect(log.events[0]!.message).toMatch(/not applied: no item aaaaaaaaaaaa/);
  });
});
