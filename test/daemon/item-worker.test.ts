import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { makeItemWorker, type WorkerStore } from '../../src/daemon/item-worker.js';
import type { SendRequest, Transport } from '../../src/delivery/transport.js';
import { DeliveryError } from '../../src/errors/errors.js';
import type { EventLog } from '../../src/log/event-log.js';
import type { GroupName, ItemMeta, ItemState } from '../../src/queue/item-meta.js';
import type { SpoolItem } from '../../src/spool/spool-item.js';

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
  from: 'a@org.example',
  to: ['b@org.example'],
  cc: ['c@fed.example'],
  messages: [{ text: 'hi' }],
};

const clock: Clock = { now: () => 1_000_000, setTimeout: () => 0, clearTimeout: () => {} };
const log: EventLog = { event: () => {}, diag: () => {}, close: async () => {} };

function setup(opts: {
  meta: ItemMeta;
  groups: GroupName[];
  send?: (req: SendRequest) => Promise<void>;
  findSent?: boolean;
  policyHold?: string;
}) {
  const mem = memoryStore(opts.meta);
  const atSend: Snapshot[] = [];
  const transport: Transport = {
    name: 'fake',
    send: async (req) => {
      atSend.push(snap(mem.current()!));
      await opts.send?.(req);
    },
    findSent: async () => opts.findSent ?? false,
    probe: async () => 'fake',
    close: async () => {},
  };
  const work = makeItemWorker({
    store: mem.store,
    transport,
    log,
    clock,
    scheduler: {
      schedule: () => {},
      pauseUntil: () => {},
      pausedUntil: () => 0,
      setConcurrency: () => {},
      concurrency: () => 4,
    },
    parse: async () => ({ ok: true, item }),
    groupRecipients: () =>
      Object.fromEntries(
        opts.groups.map((g) => [g, { to: ['x@y'], cc: [], itemClass: 'IPM.Note' }]),
      ),
    render: () => ({ subject: 's', html: '<p/>' }),
    retry: { minDelay: 1000, maxDelay: 10_000, maxAge: 86_400_000, quickRetries: 0 },
    quickRetryDelayMs: 1,
    random: () => 0.5,
    policyHold: opts.policyHold === undefined ? undefined : () => opts.policyHold,
  });
  return { ...mem, atSend, run: () => work(ID, new AbortController().signal) };
}

describe('item worker durable writes', () => {
  it('delivers a single-group item with one save (active + sending) and the tombstone', async () => {
    const t = setup({ meta: meta(), groups: ['org'] });
    await t.run();
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
    await t.run();
    expect(t.atSend).toEqual([]);
    expect(t.writes).toEqual([{ state: 'held', groups: {} }]);
  });

  it('defers after a failed send, with the group left unclear', async () => {
    const t = setup({
      meta: meta(),
      groups: ['org'],
      send: async () => {
        throw new DeliveryError('ErrorServerBusy', 'busy', { unclear: true });
      },
    });
    await t.run();
    expect(t.writes.at(0)).toEqual({ state: 'active', groups: { org: 'sending' } });
    expect(t.current()).toMatchObject({
      state: 'deferred',
      groups: { org: { status: 'unclear' } },
    });
  });
});
