import pRetry from 'p-retry';
import type { Clock } from '../clock.js';
import { conversationStart } from '../delivery/history.js';
import type { SendRequest, Transport } from '../delivery/transport.js';
import { DeliveryError, isContentMissing, isDeliveryError } from '../errors/errors.js';
import { emailOf, type EventLog } from '../log/event-log.js';
import { GROUP_ORDER, type GroupName, type ItemMeta, type ItemState } from '../queue/item-meta.js';
import type { ParseResult, SpoolItem } from '../item/spool-item.js';
import { crashPoint } from '../platform/crash-point.js';
import { quickRetryAllowed } from './failure-plan.js';
import type { ItemOutcome } from './item-outcome.js';
import { recordFailure } from './record-failure.js';
import { waitForServerPause } from './server-pause.js';

/** The queue operations the worker needs (implemented by queue/queue-store.ts). */
export interface WorkerStore {
  get(id: string): Promise<ItemMeta | undefined>;
  save(meta: ItemMeta, toState?: ItemState): Promise<ItemMeta>;
  markDelivered(meta: ItemMeta): Promise<void>;
  readContent(id: string): Promise<Buffer>;
}

/** Everything the worker touches, injected. */
export interface WorkerDeps {
  store: WorkerStore;
  transport: Transport;
  log: EventLog;
  clock: Clock;
  /**
   * When the server's back-off ends (the scheduler's `pausedUntil`, read only): a group waits it
   * out before its requests. The worker asks for a back-off through its outcome, never directly.
   */
  pausedUntil: () => number;
  parse: (bytes: Buffer) => Promise<ParseResult>;
  /** An item's delivery groups with their item class (delivery/recipients.ts deliveryGroups). */
  groupRecipients: (
    item: SpoolItem,
  ) => Partial<Record<GroupName, { to: string[]; cc: string[]; itemClass: string }>>;
  render: (item: SpoolItem) => { subject: string; html: string };
  retry: { minDelay: number; maxDelay: number; maxAge: number; quickRetries: number };
  /** Pause between quick in-process retries (p-retry's minTimeout). */
  quickRetryDelayMs?: number;
  random?: () => number;
  /** Why the configured policy forbids sending now (daemon/policy.ts), if it does. */
  policyHold?: (() => string | undefined) | undefined;
}

function asDeliveryError(e: unknown): DeliveryError {
  if (isDeliveryError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new DeliveryError('InternalError', message, { cause: e, unclear: true });
}

/**
 * Delivers one queued item: each recipient group is one CreateItem. A group is saved as `sending`
 * before its request goes out and as `sent` after it (for the last group the move to the history
 * is that record), so a kill at any instant leaves a state from which the item is neither lost
 * nor sent twice (a group caught in `sending` is looked up before it is sent again). A
 * single-group item costs three durable writes: admission, `sending` (with the move to
 * `active`), the move to the history. Each is awaited until its commit is durable; writes of items
 * in flight at the same moment share a commit (queue/sqlite/group-commit.ts).
 *
 * A run answers with its {@link ItemOutcome} (when it is due again, a server back-off, fewer at
 * once) and never rejects: an unexpected error is an outcome too (`interrupted`).
 */
export function makeItemWorker(
  deps: WorkerDeps,
): (id: string, signal: AbortSignal) => Promise<ItemOutcome> {
  const { store, transport, log, clock } = deps;

  // Items whose last run here stopped on an unexpected error (the disk full or failing while
  // their progress was saved): left `active`, and due again after retry.minDelay.
  const interrupted = new Set<string>();

  const work = async (id: string, signal: AbortSignal): Promise<ItemOutcome> => {
    let meta = await store.get(id);
    const resumable = meta?.state === 'active' && interrupted.has(id);
    // Held, deleted or already delivered since it was scheduled: nothing to do.
    if (!meta || (meta.state !== 'incoming' && meta.state !== 'deferred' && !resumable)) return {};
    const blocked = deps.policyHold?.();
    if (blocked) {
      meta.heldReason = blocked;
      meta.heldBy = 'policy';
      meta = await store.save(meta, 'held');
      log.event('item.held', 'success', blocked, {
        itemId: id,
        filePath: meta.source,
        ...emailOf(meta.envelope),
        extra: { held_by: 'policy' },
      });
      return {};
    }
    // The move to `active` is not saved on its own: it rides on the first save below (the first
    // group marked `sending`, or found already sent). Until then nothing durable has changed.
    const attempt = meta.attempts.length + 1;
    const started = clock.now();
    const base = { itemId: id, filePath: meta.source, attempt, ...emailOf(meta.envelope) };

    const content = await store.readContent(id).catch((e: unknown) => {
      if (isContentMissing(e)) return e;
      throw e;
    });
    if (isContentMissing(content)) {
      // Not an interruption to try again after retry.minDelay: no attempt can ever succeed.
      meta.lastError = { code: content.code, message: `${content.message}; the item cannot be delivered` }; // prettier-ignore
      meta = await store.save(meta, 'failed');
      log.event('delivery.failed', 'failure', "the item's content is missing; it is not retried", {
        ...base,
        error: meta.lastError,
        level: 'error',
      });
      return {};
    }
    const parsed = await deps.parse(content);
    if (!parsed.ok) {
      // It parsed when it was admitted; the data file must have been damaged since.
      meta.lastError = {
        code: parsed.code,
        message: `stored content no longer parses: ${parsed.message}`,
      };
      meta = await store.save(meta, 'failed');
      log.event('delivery.failed', 'failure', 'stored item is damaged', {
        ...base,
        error: meta.lastError,
      });
      return {};
    }
    const item = parsed.item;
    if (Object.keys(meta.groups).length === 0) {
      const groups = deps.groupRecipients(item);
      for (const g of GROUP_ORDER) {
        const spec = groups[g];
        if (spec)
          meta.groups[g] = {
            status: 'pending',
            recipients: { to: spec.to, cc: spec.cc },
            itemClass: spec.itemClass,
          };
      }
    }
    const { subject, html } = deps.render(item);
    const history: SendRequest['history'] =
      item.kind === 'conversation-history'
        ? { conversationAt: conversationStart(item, meta.firstSeenAt) }
        : undefined;
    const lastGroup = GROUP_ORDER.filter((g) => meta!.groups[g]).at(-1);
    // `active` until the item leaves it: every save of progress also makes the item `active`, so
    // a crash with a group in `sending` leaves it where open() turns `sending` into `unclear`.
    const saveProgress = async () => {
      meta = await store.save(meta!, meta!.state === 'active' ? undefined : 'active');
    };

    const deliverGroup = async (group: GroupName) => {
      const progress = meta!.groups[group]!;
      const headerValue = `${id}/${group}`;
      // A back-off answered to this item's previous group, or to another item meanwhile, holds
      // this group's requests (the look-up too) until it is over.
      await waitForServerPause(clock, deps.pausedUntil, signal);
      if (progress.status === 'sending' || progress.status === 'unclear') {
        // An earlier attempt ended without a clear answer: the server may have sent it.
        if (await transport.findSent(headerValue, signal, item.from)) {
          progress.status = 'sent';
          progress.sentAt = new Date(clock.now()).toISOString();
          await saveProgress();
          return;
        }
      }
      progress.status = 'sending';
      await saveProgress();
      crashPoint('sending-saved');
      try {
        await transport.send(
          {
            itemId: id,
            group,
            itemClass: progress.itemClass,
            from: item.from,
            to: progress.recipients.to,
            cc: progress.recipients.cc,
            subject,
            html,
            headerValue,
            ...(history && group === 'history' ? { history } : {}),
          },
          signal,
        );
      } catch (e) {
        const err = asDeliveryError(e);
        meta!.groups[group]!.status = err.unclear ? 'unclear' : 'pending';
        meta = await store.save(meta!);
        throw err;
      }
      crashPoint('answer-received');
      meta!.groups[group]!.status = 'sent';
      meta!.groups[group]!.sentAt = new Date(clock.now()).toISOString();
      // The last group's `sent` is not saved: markDelivered, committed next with nothing awaited
      // in between, records it. A crash before that commit leaves the group `sending`,
      // which is looked up (FindItem) before any resend.
      if (group !== lastGroup) await saveProgress();
      crashPoint('outcome-recorded');
    };

    for (const group of GROUP_ORDER) {
      const progress = meta.groups[group];
      if (!progress || progress.status === 'sent') continue;
      try {
        await pRetry(() => deliverGroup(group), {
          retries: deps.retry.quickRetries,
          minTimeout: deps.quickRetryDelayMs ?? 1000,
          factor: 2,
          randomize: true,
          signal,
          // A server back-off is honoured by pausing everything, not by hammering it here.
          shouldRetry: ({ error }) => quickRetryAllowed(asDeliveryError(error)) && !signal.aborted,
        });
      } catch (e) {
        return recordFailure(
          { store, log, clock, retry: deps.retry, random: deps.random ?? Math.random },
          {
            meta,
            attempt,
            started,
            group,
            error: asDeliveryError(e),
            aborted: signal.aborted,
            fields: base,
            kind: item.kind,
          },
        );
      }
    }

    const durationMs = clock.now() - started;
    meta.attempts.push({
      n: attempt,
      startedAt: new Date(started).toISOString(),
      durationMs,
      outcome: 'success',
    });
    delete meta.lastError;
    delete meta.nextAttemptAt;
    await store.markDelivered(meta);
    crashPoint('delivered');
    const done = history ? 'conversation history saved' : 'offline message delivered';
    log.event('delivery.succeeded', 'success', done, {
      ...base,
      durationMs,
      extra: {
        kind: item.kind,
        groups: Object.fromEntries(
          Object.entries(meta.groups).map(([g, p]) => [
            g,
            {
              item_class: p.itemClass,
              recipients: p.recipients.to.length + p.recipients.cc.length,
            },
          ]),
        ),
      },
    });
    return {};
  };

  return async (id, signal) => {
    try {
      const outcome = await work(id, signal);
      interrupted.delete(id);
      return outcome;
    } catch (error) {
      // What was saved before the error is safe (a group caught in `sending` is looked up before
      // it is sent again); without the reschedule the item would wait for the next start.
      interrupted.add(id);
      return {
        ...(signal.aborted ? {} : { rescheduleAt: clock.now() + deps.retry.minDelay }),
        interrupted: { error },
      };
    }
  };
}
