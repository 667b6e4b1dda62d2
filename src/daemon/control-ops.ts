import { UsageError } from '../errors/errors.js';
import type { EventLog } from '../log/event-log.js';
import type { ItemMeta, ItemState } from '../queue/item-meta.js';

/** An operator's request, as the CLI writes it to `<stateDir>/control/`. */
export interface ControlRequest {
  op: 'hold' | 'release' | 'retry' | 'delete';
  /** Full item ID, or `*` with op `retry` for every deferred or failed item. */
  id: string;
  /** Who asked (OS user name), for the log. */
  user: string;
  requestedAt: string;
}

/** The queue operations control needs. */
export interface ControlStore {
  get(id: string): Promise<ItemMeta | undefined>;
  list(states?: ItemState[]): Promise<ItemMeta[]>;
  save(meta: ItemMeta, toState?: ItemState): Promise<ItemMeta>;
  remove(id: string): Promise<ItemMeta>;
}

/** Which states each operation accepts. */
const ALLOWED: Record<ControlRequest['op'], ItemState[]> = {
  hold: ['incoming', 'deferred', 'failed'],
  release: ['held'],
  retry: ['deferred', 'failed', 'incoming'],
  delete: ['incoming', 'deferred', 'held', 'failed', 'quarantined'],
};

/**
 * Applies one request to the queue and logs it; returns the items it changed so the daemon can
 * (re)schedule them. Shared by the daemon (requests from its inbox) and the CLI (when no daemon
 * runs). An item that is `active` is never touched here: the daemon applies such requests when the
 * attempt in flight ends, so a request can't race a delivery.
 */
export async function applyControl(
  store: ControlStore,
  req: ControlRequest,
  log: EventLog,
  now: number,
): Promise<{ changed: ItemMeta[]; removed: string[] }> {
  const by = { requested_by: req.user };
  if (req.id === '*') {
    if (req.op !== 'retry') throw new UsageError(`--all works with retry only, not ${req.op}`);
    const items = await store.list(['deferred', 'failed']);
    const changed: ItemMeta[] = [];
    for (const m of items) changed.push(await makeDue(store, m, now));
    log.event('item.retry_requested', 'success', `retry of ${changed.length} item(s) requested by ${req.user}`, {
      extra: { ...by, count: changed.length },
    });
    return { changed, removed: [] };
  }
  const meta = await store.get(req.id);
  if (!meta) throw new UsageError(`no item ${req.id} in the queue (delivered or deleted already?)`);
  if (!ALLOWED[req.op].includes(meta.state)) {
    throw new UsageError(`item ${req.id.slice(0, 12)} is ${meta.state}; ${req.op} applies to ${ALLOWED[req.op].join(', ')} items`);
  }
  const fields = { itemId: meta.id, filePath: meta.source, extra: { ...by, previous_state: meta.state } };
  switch (req.op) {
    case 'hold': {
      meta.heldReason = `held by ${req.user}`;
      meta.heldBy = 'operator';
      const saved = await store.save(meta, 'held');
      log.event('item.held', 'success', `item held by ${req.user}`, fields);
      return { changed: [saved], removed: [] };
    }
    case 'release': {
      delete meta.heldReason;
      delete meta.heldBy;
      const saved = await makeDue(store, meta, now);
      log.event('item.released', 'success', `item released by ${req.user}`, fields);
      return { changed: [saved], removed: [] };
    }
    case 'retry': {
      const saved = await makeDue(store, meta, now);
      log.event('item.retry_requested', 'success', `retry requested by ${req.user}`, fields);
      return { changed: [saved], removed: [] };
    }
    case 'delete': {
      await store.remove(meta.id);
      log.event('item.deleted', 'success', `item deleted for good by ${req.user}`, {
        ...fields,
        extra: { ...fields.extra, from: meta.envelope?.from, to: meta.envelope?.to },
      });
      return { changed: [], removed: [meta.id] };
    }
  }
}

/** Due now, with a fresh retry window: an operator's retry must not expire at once. */
async function makeDue(store: ControlStore, meta: ItemMeta, now: number): Promise<ItemMeta> {
  meta.nextAttemptAt = new Date(now).toISOString();
  meta.retryWindowFrom = meta.nextAttemptAt;
  return store.save(meta, 'incoming');
}
