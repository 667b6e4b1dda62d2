import { UsageError } from '../errors/errors.js';
import { emailOf, type EventAction, type EventLog } from '../log/event-log.js';
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

/** What happened, for the CLI to print. */
export interface ControlOutcome {
  message: string;
  /** The item is being delivered: the request applies when that attempt ends. */
  pending?: boolean;
  /** Items changed or removed (for `retry --all`, how many were made due). */
  count: number;
}

/** The queue operations control needs. */
export interface ControlStore {
  get(id: string): Promise<ItemMeta | undefined>;
  list(states?: ItemState[]): Promise<ItemMeta[]>;
  save(meta: ItemMeta, toState?: ItemState): Promise<ItemMeta>;
  remove(id: string): Promise<ItemMeta>;
  /** Whether the item's content is still there; an item without it is not retryable. */
  hasContent(id: string): Promise<boolean>;
}

/** How requests get an item to themselves; see control-gate.ts. The CLI needs none. */
export interface ItemGate {
  inFlight(id: string): boolean;
  withItem<T>(id: string, fn: () => Promise<T>): Promise<T>;
}

const directGate: ItemGate = { inFlight: () => false, withItem: (_id, fn) => fn() };

/** Which states each operation accepts. */
const ALLOWED: Record<ControlRequest['op'], ItemState[]> = {
  hold: ['incoming', 'deferred', 'failed', 'held'],
  release: ['held'],
  retry: ['deferred', 'failed', 'incoming'],
  delete: ['incoming', 'deferred', 'held', 'failed', 'quarantined'],
};

const ACTION: Record<ControlRequest['op'], EventAction> = {
  hold: 'item.held',
  release: 'item.released',
  retry: 'item.retry_requested',
  delete: 'item.deleted',
};

/** What support staff call each state. */
const stateName = (s: ItemState) => (s === 'incoming' ? 'queued' : s);
const short = (id: string) => id.slice(0, 12);

/**
 * Why an item cannot be retried whatever its state: its content is gone (`ContentMissing`, or
 * `CorruptMetadata` with the content lost too), so every attempt would fail the same way.
 * Undefined when it can be.
 */
export function notRetryable(meta: ItemMeta, hasContent: boolean): string | undefined {
  if (hasContent) return undefined;
  const code = meta.lastError?.code ?? 'ContentMissing';
  return `item ${short(meta.id)} is ${stateName(meta.state)} (${code}): its content is gone, so it can never be sent and is not retried; delete it ("imspooler delete ${short(meta.id)}") and, if the message matters, ask the sender to send it again`;
}

/** Hints for a request that does not fit the item's state. */
function refusal(op: ControlRequest['op'], meta: ItemMeta): string {
  const is = `item ${short(meta.id)} is ${stateName(meta.state)}`;
  if (op === 'retry' && meta.state === 'held')
    return `${is}: use "imspooler release ${short(meta.id)}" to send it again`;
  if (op === 'release') return `${is}, not held: nothing to release`;
  if (meta.state === 'quarantined') {
    return `${is} (${meta.quarantine?.code ?? 'unreadable'}): it can never be sent as it is; fix the file and drop it in the spool folder again, or delete it`;
  }
  return `${is}; ${op} applies to ${ALLOWED[op].map(stateName).join(', ')} items`;
}

/**
 * Applies one request to the queue and logs it with who asked. Shared by the daemon (requests
 * from its inbox, with a gate that keeps them apart from delivery attempts) and the CLI (when no
 * daemon runs, holding the queue lock). Throws UsageError when the request does not fit the item.
 */
export async function applyControl(
  store: ControlStore,
  req: ControlRequest,
  log: EventLog,
  now: () => number,
  gate: ItemGate = directGate,
): Promise<ControlOutcome> {
  if (req.id === '*') {
    if (req.op !== 'retry') throw new UsageError(`--all works with retry only, not ${req.op}`);
    return retryAll(store, req, log, now, gate);
  }
  if (gate.inFlight(req.id)) {
    // Answered now; applied when the attempt ends, unless the attempt delivers the item.
    gate
      .withItem(req.id, () => applyOne(store, req, log, now))
      .catch((e: unknown) =>
        log.event(
          ACTION[req.op],
          'failure',
          `${req.op} requested by ${req.user} not applied: ${(e as Error).message}`,
          {
            itemId: req.id,
            extra: { requested_by: req.user },
          },
        ),
      );
    return {
      pending: true,
      count: 0,
      message: `item ${short(req.id)} is being delivered right now; ${req.op} applies as soon as this attempt ends (if it is delivered, there is nothing left to ${req.op})`,
    };
  }
  return gate.withItem(req.id, () => applyOne(store, req, log, now));
}

async function applyOne(
  store: ControlStore,
  req: ControlRequest,
  log: EventLog,
  now: () => number,
): Promise<ControlOutcome> {
  const meta = await store.get(req.id);
  if (!meta)
    throw new UsageError(`no item ${short(req.id)} in the queue (delivered or deleted meanwhile?)`);
  if (!ALLOWED[req.op].includes(meta.state)) throw new UsageError(refusal(req.op, meta));
  const fields = {
    itemId: meta.id,
    filePath: meta.source,
    ...emailOf(meta.envelope),
    extra: { requested_by: req.user, previous_state: stateName(meta.state) },
  };
  switch (req.op) {
    case 'hold': {
      if (meta.state === 'held')
        return {
          count: 0,
          message: `item ${short(meta.id)} is already held (${meta.heldReason ?? 'no reason'})`,
        };
      meta.heldReason = `held by ${req.user}`;
      delete meta.nextAttemptAt;
      await store.save(meta, 'held');
      log.event('item.held', 'success', `item held by ${req.user}`, fields);
      return { count: 1, message: `held ${short(meta.id)}: it is not sent until released` };
    }
    case 'release': {
      delete meta.heldReason;
      await makeDue(store, meta, now());
      log.event('item.released', 'success', `item released by ${req.user}`, fields);
      return { count: 1, message: `released ${short(meta.id)}: due now` };
    }
    case 'retry': {
      const why = notRetryable(meta, await store.hasContent(meta.id));
      if (why) throw new UsageError(why);
      await makeDue(store, meta, now());
      log.event('item.retry_requested', 'success', `retry requested by ${req.user}`, fields);
      return { count: 1, message: `${short(meta.id)} is due now` };
    }
    case 'delete': {
      await store.remove(meta.id);
      // What was deleted, so the log answers "where did it go?" later (the addresses are in
      // `email.*` with the other item lines); never subject or body.
      log.event('item.deleted', 'success', `item deleted for good by ${req.user}`, {
        ...fields,
        extra: {
          ...fields.extra,
          size: meta.size,
          attempts: meta.attempts.length,
          first_seen_at: meta.firstSeenAt,
        },
      });
      const env = meta.envelope
        ? ` (from ${meta.envelope.from} to ${[...meta.envelope.to, ...meta.envelope.cc].join(', ')})`
        : '';
      return { count: 1, message: `deleted ${short(meta.id)} for good${env}` };
    }
  }
}

/** Every deferred or failed item due now; items in flight are being tried already and are skipped. */
async function retryAll(
  store: ControlStore,
  req: ControlRequest,
  log: EventLog,
  now: () => number,
  gate: ItemGate,
): Promise<ControlOutcome> {
  let count = 0;
  let skipped = 0;
  let lost = 0;
  for (const candidate of await store.list(['deferred', 'failed'])) {
    if (gate.inFlight(candidate.id)) {
      skipped++;
      continue;
    }
    const done = await gate.withItem(candidate.id, async () => {
      const meta = await store.get(candidate.id);
      if (!meta || (meta.state !== 'deferred' && meta.state !== 'failed')) return false;
      // Made due, it would fail at once, be made due by the next --all, and so on: left failed.
      if (notRetryable(meta, await store.hasContent(meta.id))) {
        lost++;
        return false;
      }
      await makeDue(store, meta, now());
      log.event('item.retry_requested', 'success', `retry requested by ${req.user} (retry --all)`, {
        itemId: meta.id,
        filePath: meta.source,
        ...emailOf(meta.envelope),
        extra: { requested_by: req.user, previous_state: meta.state, all: true },
      });
      return true;
    });
    if (done) count++;
  }
  log.event(
    'item.retry_requested',
    'success',
    `retry of every deferred and failed item requested by ${req.user}: ${count} made due${lost ? `, ${lost} skipped (content missing)` : ''}`,
    {
      extra: { requested_by: req.user, all: true, count, in_flight: skipped, ...(lost ? { not_retryable: lost } : {}) }, // prettier-ignore
    },
  );
  const inFlight = skipped ? `; ${skipped} being delivered right now` : '';
  const notRetried = lost
    ? `; ${lost} skipped: their content is gone and they can never be sent (see "imspooler status --state failed"; delete them)`
    : '';
  return {
    count,
    message:
      count === 0 && skipped === 0 && lost === 0
        ? 'no deferred or failed items to retry'
        : `${count} item(s) made due now${inFlight}${notRetried}`,
  };
}

/** Due now, with a fresh retry window: an operator's retry must not expire at once. */
async function makeDue(store: ControlStore, meta: ItemMeta, now: number): Promise<ItemMeta> {
  meta.nextAttemptAt = new Date(now).toISOString();
  meta.retryWindowFrom = meta.nextAttemptAt;
  return store.save(meta, 'incoming');
}
