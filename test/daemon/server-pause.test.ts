import { describe, expect, it } from 'vitest';
import { applyOutcome } from '../../src/daemon/item-outcome.js';
import { makeItemWorker, type WorkerStore } from '../../src/daemon/item-worker.js';
import { makeScheduler } from '../../src/daemon/scheduler.js';
import type { SendRequest, Transport } from '../../src/delivery/transport.js';
import { DeliveryError } from '../../src/errors/errors.js';
import type { EventLog } from '../../src/log/event-log.js';
import type { GroupName, ItemMeta } from '../../src/queue/item-meta.js';
import type { SpoolItem } from '../../src/item/spool-item.js';
import { flush, manualClock } from '../support/manual-clock.js';

/**
 * Issue 10.2: a server back-off (EWS BackOffMilliseconds, Graph Retry-After) pauses every request
 * to that server, including the next group of an item already under way. The real scheduler and
 * worker (its outcomes applied as the daemon applies them), an in-memory queue, a transport that
 * records when each request left, a manual clock.
 */

const T0 = 1_000_000;
const A = 'a'.repeat(64); // two groups: org, then fed
const B = 'b'.repeat(64); // one group: the server answers it with a back-off

function metaFor(id: string): ItemMeta {
  const at = new Date(T0).toISOString();
  return {
    version: 1,
    id,
    state: 'incoming',
    seq: 1,
    source: `/spool/${id.slice(0, 1)}.json`,
    size: 2,
    firstSeenAt: at,
    claimedAt: at,
    updatedAt: at,
    attempts: [],
    groups: {},
  };
}

function memoryStore(ids: string[]): WorkerStore {
  const stored = new Map(ids.map((id) => [id, metaFor(id)]));
  return {
    get: async (id) => structuredClone(stored.get(id)),
    save: async (meta, toState) => {
      const next = { ...structuredClone(meta), state: toState ?? meta.state, seq: meta.seq + 1 };
      stored.set(meta.id, structuredClone(next));
      return next;
    },
    markDelivered: async (meta) => void stored.delete(meta.id),
    readContent: async (id) => Buffer.from(id),
  };
}

const log: EventLog = { event: () => {}, diag: () => {}, close: async () => {} };

function setup(backOff: DeliveryError) {
  const { clock, advance } = manualClock(T0);
  const sent: { item: string; group: GroupName; at: number }[] = [];
  let releaseAOrg!: () => void;
  const aOrgAnswered = new Promise<void>((r) => (releaseAOrg = r));
  const transport: Transport = {
    name: 'fake',
    send: async (req: SendRequest) => {
      sent.push({ item: req.itemId, group: req.group as GroupName, at: clock.now() });
      if (req.itemId === A && req.group === 'org') await aOrgAnswered; // on the wire meanwhile
      if (req.itemId === B) throw backOff;
    },
    findSent: async () => false,
    probe: async () => 'fake',
    close: async () => {},
  };
  const scheduler = makeScheduler({
    clock,
    concurrency: 2,
    run: async (id, signal) => applyOutcome({ scheduler, log }, id, await worker(id, signal)),
  });
  const worker = makeItemWorker({
    store: memoryStore([A, B]),
    transport,
    log,
    clock,
    pausedUntil: () => scheduler.pausedUntil(),
    parse: async (bytes) => {
      const id = bytes.toString();
      const item: SpoolItem = {
        id,
        kind: 'offline-im',
        format: 'json',
        from: 'alice@contoso.com',
        to: id === A ? ['bob@contoso.com'] : ['carol@contoso.com'],
        cc: id === A ? ['dave@fabrikam.com'] : [],
        messages: [{ text: 'hi' }],
      };
      return { ok: true, item };
    },
    groupRecipients: ({ to, cc }) => ({
      org: { to: to.filter((a) => a.endsWith('contoso.com')), cc: [], itemClass: 'IPM.Note' },
      ...(cc.length ? { fed: { to: [], cc, itemClass: 'IPM.Note' } } : {}),
    }),
    render: () => ({ subject: 's', html: '<p/>' }),
    retry: { minDelay: 1000, maxDelay: 60_000, maxAge: 86_400_000, quickRetries: 0 },
    random: () => 0.5,
  });
  return { clock, advance, sent, scheduler, releaseAOrg };
}

describe('issue 10.2: a server back-off holds the next group of an item already under way', () => {
  const cases: [string, DeliveryError][] = [
    [
      'EWS ErrorServerBusy with BackOffMilliseconds 2000',
      new DeliveryError('ErrorServerBusy', 'The server cannot service this request right now.', {
        backOffMs: 2000,
        httpStatus: 500,
      }),
    ],
    [
      'Graph 429 with Retry-After: 2',
      new DeliveryError('Http429', 'Too many requests', { backOffMs: 2000, httpStatus: 429 }),
    ],
  ];
  it.each(cases)('%s', async (_name, backOff) => {
    const t = setup(backOff);
    t.scheduler.schedule(A, T0);
    await flush();
    t.scheduler.schedule(B, T0 + 100);
    await t.advance(100); // B is answered with the back-off while A's first group is on the wire
    expect(t.scheduler.pausedUntil()).toBe(T0 + 100 + 2000);
    t.releaseAOrg();
    await t.advance(1000);
    // A's org group was answered 1 s into the pause: its fed group has not gone out.
    expect(t.sent.map((s) => `${s.item.slice(0, 1)}/${s.group}`)).toEqual(['a/org', 'b/org']);
    await t.advance(1500);
    const fed = t.sent.find((s) => s.item === A && s.group === 'fed');
    expect(fed?.at).toBe(T0 + 100 + 2000); // the moment the back-off ended, not before
    await t.scheduler.stop(1000);
  });

  it('a back-off extended by another answer meanwhile is waited out too', async () => {
    const t = setup(new DeliveryError('ErrorServerBusy', 'busy', { backOffMs: 2000 }));
    t.scheduler.schedule(A, T0);
    await flush();
    t.scheduler.schedule(B, T0 + 100);
    await t.advance(100);
    t.releaseAOrg();
    await t.advance(1000);
    t.scheduler.pauseUntil(T0 + 5000); // another answer asked for longer
    await t.advance(3000);
    expect(t.sent.some((s) => s.item === A && s.group === 'fed')).toBe(false);
    await t.advance(1000);
    expect(t.sent.find((s) => s.item === A && s.group === 'fed')?.at).toBe(T0 + 5000);
    await t.scheduler.stop(1000);
  });

  it('an attempt abandoned at shutdown during the wait sends nothing more', async () => {
    const t = setup(new DeliveryError('ErrorServerBusy', 'busy', { backOffMs: 60_000 }));
    t.scheduler.schedule(A, T0);
    await flush();
    t.scheduler.schedule(B, T0 + 100);
    await t.advance(100);
    t.releaseAOrg();
    await flush();
    const stopped = t.scheduler.stop(1000);
    await t.advance(1000);
    expect(await stopped).toEqual({ abandoned: 1 });
    expect(t.sent.some((s) => s.item === A && s.group === 'fed')).toBe(false);
  });
});
