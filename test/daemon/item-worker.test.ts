import { describe, expect, it } from 'vitest';
import { manualClock } from '../support/manual-clock.js';
import { makeItemWorker, type WorkerStore } from '../../src/daemon/item-worker.js';
import type { SendRequest, Transport } from '../../src/delivery/transport.js';
import { DeliveryError } from '../../src/errors/errors.js';
import type { EventLog } from '../../src/log/event-log.js';
import type { GroupName, ItemMeta, ItemState } from '../../src/queue/item-meta.js';
import type { SpoolItem } from '../../src/item/spool-item.js';

const ID = 'a'.repeat(64);

/** What was durable at one moment: the item's state and each group's status. */
type Snapshot = { state: ItemState; groups: Partial<Record<GroupName, string>> };

const snap = (m: ItemMeta): Snapshot => ({
  state: m.state,
  groups: Object.fromEntries(Object.entries(m.groups).map(([g, p]) => [g, p.status])),
});

/** An in-memory queue that records every durable write, and checks `save`'s contract. */
function memoryStore(initial: ItemMeta) {
  let stored: ItemMeta | undefined = structuredClone(initial);
  const writes: (Snapshot | 'delivered')[] = [];
  const store: WorkerStore = {
    get: async (id) => (stored?.id === id ? structuredClone(stored) : undefined),
    save: async (meta, toState) => {
      if (meta.state !== stored?.state)
        throw new Error(`save from ${meta.state}, is ${stored?.state}`);
      const next = { ...structuredClone(meta), state: toState ?? meta.state, seq: meta.seq + 1 };
      stored = structuredClone(next);
      writes.push(snap(next));
      return next;
    },
    markDelivered: async () => {
      stored = undefined;
      writes.push('delivered');
    },
    readContent: async () => Buffer.from('{}'),
  };
  return { store, writes, current: () => stored };
}

function meta(groups: ItemMeta['groups'] = {}, state: ItemState = 'incoming'): ItemMeta {
  const at = new Date(0).toISOString();
  return {
    version: 1,
    id: ID,
    state,
    seq: 1,
    source: '/spool/x.json',
    size: 2,
    firstSeenAt: at,
    claimedAt: at,
    updatedAt: at,
    attempts: [],
    groups,
  };
}

const item: SpoolItem = {
  id: ID,
  format: 'json',
  kind: 'offline-im',
  from: 'a@org.example',
  to: ['b@org.example'],
  cc: ['c@fed.example'],
  messages: [{ text: 'hi' }],
};

const NOW = 1_000_000;
// The worker only reads the time; nothing here advances it.
const clock = manualClock(NOW);
const log: EventLog = { event: () => {}, diag: () => {}, close: async () => {} };

function setup(opts: {
  meta: ItemMeta;
  groups: GroupName[];
  send?: (req: SendRequest) => Promise<void>;
  findSent?: boolean;
  policyHold?: string;
  item?: SpoolItem;
  groupRecipients?: Parameters<typeof makeItemWorker>[0]['groupRecipients'];
  /** Which saves (counted from 1) fail like a failing disk. */
  failSave?: (n: number) => boolean;
}) {
  const mem = memoryStore(opts.meta);
  let saves = 0;
  const save = mem.store.save;
  mem.store.save = async (m, to) => {
    if (opts.failSave?.(++saves)) {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    }
    return save(m, to);
  };
  const atSend: Snapshot[] = [];
  const requests: SendRequest[] = [];
  const lookups: string[] = [];
  const transport: Transport = {
    name: 'fake',
    send: async (req) => {
      atSend.push(snap(mem.current()!));
      requests.push(req);
      await opts.send?.(req);
    },
    findSent: async (headerValue) => {
      lookups.push(headerValue);
      return opts.findSent ?? false;
    },
    probe: async () => 'fake',
    close: async () => {},
  };
  const work = makeItemWorker({
    store: mem.store,
    transport,
    log,
    clock,
    pausedUntil: () => 0,
    parse: async () => ({ ok: true, item: opts.item ?? item }),
    groupRecipients:
      opts.groupRecipients ??
      (() =>
        Object.fromEntries(
          opts.groups.map((g) => [g, { to: ['x@y'], cc: [], itemClass: 'IPM.Note' }]),
        )),
    render: () => ({ subject: 's', html: '<p/>' }),
    retry: { minDelay: 1000, maxDelay: 10_000, maxAge: 86_400_000, quickRetries: 0 },
    quickRetryDelayMs: 1,
    random: () => 0.5,
    policyHold: opts.policyHold === undefined ? undefined : () => opts.policyHold,
  });
  return {
    ...mem,
    atSend,
    requests,
    lookups,
    run: (signal = new AbortController().signal) => work(ID, signal),
  };
}

describe('item worker durable writes', () => {
  it('delivers a single-group item with one save (active + sending) and the tombstone', async () => {
    const t = setup({ meta: meta(), groups: ['org'] });
    // Delivered: nothing more is asked of the scheduler.
    expect(await t.run()).toEqual({});
    expect(t.writes).toEqual([{ state: 'active', groups: { org: 'sending' } }, 'delivered']);
    // The group was durably `sending`, in `active`, before its request went out.
    expect(t.atSend).toEqual([{ state: 'active', groups: { org: 'sending' } }]);
  });

  it('keeps the sent save for a group that is not the last one', async () => {
    const t = setup({ meta: meta(), groups: ['org', 'fed'] });
    await t.run();
    expect(t.writes).toEqual([
      { state: 'active', groups: { org: 'sending', fed: 'pending' } },
      { state: 'active', groups: { org: 'sent', fed: 'pending' } },
      { state: 'active', groups: { org: 'sent', fed: 'sending' } },
      'delivered',
    ]);
    expect(t.atSend).toEqual([
      { state: 'active', groups: { org: 'sending', fed: 'pending' } },
      { state: 'active', groups: { org: 'sent', fed: 'sending' } },
    ]);
  });

  it('looks up an unclear group, and saves it sent (and active) when the copy is there', async () => {
    const groups: ItemMeta['groups'] = {
      org: { status: 'unclear', recipients: { to: ['x@y'], cc: [] }, itemClass: 'IPM.Note' },
    };
    const t = setup({ meta: meta(groups, 'deferred'), groups: ['org'], findSent: true });
    await t.run();
    expect(t.atSend).toEqual([]);
    expect(t.writes).toEqual([{ state: 'active', groups: { org: 'sent' } }, 'delivered']);
  });

  it('sends an unclear group again, marked sending first, when no copy is found', async () => {
    const groups: ItemMeta['groups'] = {
      org: { status: 'unclear', recipients: { to: ['x@y'], cc: [] }, itemClass: 'IPM.Note' },
    };
    const t = setup({ meta: meta(groups, 'deferred'), groups: ['org'], findSent: false });
    await t.run();
    expect(t.atSend).toEqual([{ state: 'active', groups: { org: 'sending' } }]);
    expect(t.writes).toEqual([{ state: 'active', groups: { org: 'sending' } }, 'delivered']);
  });

  it('holds by policy with one save and sends nothing', async () => {
    const t = setup({ meta: meta(), groups: ['org'], policyHold: 'outside hours' });
    expect(await t.run()).toEqual({});
    expect(t.atSend).toEqual([]);
    expect(t.writes).toEqual([{ state: 'held', groups: {} }]);
  });

  it('defers after a failed send, with the group left unclear, and asks to run again then', async () => {
    const t = setup({
      meta: meta(),
      groups: ['org'],
      send: async () => {
        throw new DeliveryError('ErrorServerBusy', 'busy', { unclear: true });
      },
    });
    const outcome = await t.run();
    expect(t.writes.at(0)).toEqual({ state: 'active', groups: { org: 'sending' } });
    expect(t.current()).toMatchObject({
      state: 'deferred',
      groups: { org: { status: 'unclear' } },
    });
    // First attempt: retry.minDelay (1 s) later, the instant saved as the item's next attempt.
    expect(outcome).toEqual({ rescheduleAt: NOW + 1000 });
    expect(t.current()?.nextAttemptAt).toBe(new Date(NOW + 1000).toISOString());
  });
});

describe('item worker: what a run asks of the scheduler', () => {
  const failing = (e: DeliveryError) => async () => {
    throw e;
  };

  it('a server back-off: every delivery paused, the item due when the back-off ends', async () => {
    const busy = new DeliveryError('ErrorServerBusy', 'busy', { backOffMs: 30_000 });
    const t = setup({ meta: meta(), groups: ['org'], send: failing(busy) });
    expect(await t.run()).toEqual({ pauseUntil: NOW + 30_000, rescheduleAt: NOW + 30_000 });
    expect(t.current()?.state).toBe('deferred');
  });

  it('too many connections: one item fewer at once, and the item deferred', async () => {
    const tooMany = new DeliveryError('ErrorExceededConnectionCount', 'too many');
    const t = setup({ meta: meta(), groups: ['org'], send: failing(tooMany) });
    expect(await t.run()).toEqual({
      lowerConcurrency: 'ErrorExceededConnectionCount',
      rescheduleAt: NOW + 1000,
    });
  });

  it('a permanent failure: the item failed and not due again', async () => {
    const bad = new DeliveryError('ErrorInvalidRecipients', 'no such recipient');
    const t = setup({ meta: meta(), groups: ['org'], send: failing(bad) });
    expect(await t.run()).toEqual({});
    expect(t.current()?.state).toBe('failed');
  });

  it('a quota that needs a person, answered with a back-off: parked, and the pause still asked', async () => {
    const quota = new DeliveryError('ErrorQuotaExceeded', 'quota', { backOffMs: 5000 });
    const t = setup({ meta: meta(), groups: ['org'], send: failing(quota) });
    expect(await t.run()).toEqual({ pauseUntil: NOW + 5000 });
    expect(t.current()).toMatchObject({ state: 'held', heldBy: 'daemon' });
  });

  it('an unexpected error: due again after retry.minDelay, the error handed over, and the next run resumes the item', async () => {
    // org is sent; saving it `sent` fails, and so does saving the item deferred: left `active`.
    const t = setup({
      meta: meta(),
      groups: ['org', 'fed'],
      failSave: (n) => n === 2 || n === 3,
      findSent: true,
    });
    const outcome = await t.run();
    expect(outcome).toEqual({
      rescheduleAt: NOW + 1000,
      interrupted: { error: expect.objectContaining({ code: 'SQLITE_IOERR' }) },
    });
    expect(t.current()).toMatchObject({ state: 'active', groups: { org: { status: 'sending' } } });
    // The next run takes the `active` item up again: org is looked up (found), not sent twice.
    expect(await t.run()).toEqual({});
    expect(t.lookups).toEqual([`${ID}/org`]);
    expect(t.requests.map((r) => r.group)).toEqual(['org', 'fed']);
    expect(t.writes.at(-1)).toBe('delivered');
  });

  it('an attempt abandoned at shutdown: deferred to the next start, not rescheduled here', async () => {
    const ac = new AbortController();
    const t = setup({
      meta: meta(),
      groups: ['org'],
      send: async () => {
        ac.abort(new Error('shutdown'));
        throw new DeliveryError('RequestAborted', 'aborted', { unclear: true });
      },
    });
    // Due `now`, as shutdown is not the server's fault; the scheduler is stopping and keeps it
    // for nothing, the next start schedules it from the queue.
    expect(await t.run(ac.signal)).toEqual({ rescheduleAt: NOW });
    expect(t.current()).toMatchObject({
      state: 'deferred',
      groups: { org: { status: 'unclear' } },
    });
  });
});

describe('item worker: a conversation-history item', () => {
  const history: SpoolItem = {
    ...item,
    kind: 'conversation-history',
    messages: [
      { at: '2026-11-24T09:59:00.000Z', text: 'later' },
      { at: '2026-11-24T09:58:03.000Z', text: 'first' },
    ],
  };
  const deliveryGroups = (i: SpoolItem) => {
    expect(i.kind).toBe('conversation-history');
    return {
      history: { to: ['b@org.example'], cc: [], itemClass: 'IPM.Note.Microsoft.Conversation' },
    };
  };

  it('is one save request in the history group, dated when the conversation began', async () => {
    const t = setup({ meta: meta(), groups: [], item: history, groupRecipients: deliveryGroups });
    await t.run();
    expect(t.requests).toEqual([
      expect.objectContaining({
        group: 'history',
        itemClass: 'IPM.Note.Microsoft.Conversation',
        from: 'a@org.example',
        to: ['b@org.example'],
        headerValue: `${ID}/history`,
        history: { conversationAt: '2026-11-24T09:58:03.000Z' },
      }),
    ]);
    expect(t.writes).toEqual([{ state: 'active', groups: { history: 'sending' } }, 'delivered']);
  });

  it('looks for <id>/history after an unclear outcome and does not save it again when found', async () => {
    const groups: ItemMeta['groups'] = {
      history: {
        status: 'unclear',
        recipients: { to: ['b@org.example'], cc: [] },
        itemClass: 'IPM.Note.Microsoft.Conversation',
      },
    };
    const t = setup({
      meta: meta(groups, 'deferred'),
      groups: [],
      item: history,
      groupRecipients: deliveryGroups,
      findSent: true,
    });
    await t.run();
    expect(t.lookups).toEqual([`${ID}/history`]);
    expect(t.requests).toEqual([]);
    expect(t.writes).toEqual([{ state: 'active', groups: { history: 'sent' } }, 'delivered']);
  });

  it('sends offline messages without history details', async () => {
    const t = setup({ meta: meta(), groups: ['org'] });
    await t.run();
    expect(t.requests[0]).not.toHaveProperty('history');
  });
});
