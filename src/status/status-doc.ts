import type { ItemMeta, ItemState } from '../queue/item-meta.js';

/** The contract's `status --json` document. */
export interface StatusDoc {
  generatedAt: string;
  daemon: { running: boolean; pid?: number; startedAt?: string };
  counts: {
    grace: number;
    queued: number;
    active: number;
    deferred: number;
    held: number;
    failed: number;
    quarantined: number;
  };
  items: StatusItem[];
  /** Files still in their grace period in a spool folder (an extension of the contract). */
  grace: { path: string; firstSeenAt: string; dueAt: string; size: number }[];
}

export interface StatusItem {
  id: string;
  state: ItemState;
  source: string;
  from?: string;
  to: string[];
  cc: string[];
  subject?: string;
  firstSeenAt: string;
  attempts: number;
  nextAttemptAt?: string;
  lastError?: { code: string; message: string };
  heldReason?: string;
}

/** Pure: one queue item as `status` shows it. The subject is only shown by `show`. */
export function toStatusItem(meta: ItemMeta): StatusItem {
  const item: StatusItem = {
    id: meta.id,
    state: meta.state,
    source: meta.source,
    to: meta.envelope?.to ?? [],
    cc: meta.envelope?.cc ?? [],
    firstSeenAt: meta.firstSeenAt,
    attempts: meta.attempts.length,
  };
  if (meta.envelope?.from) item.from = meta.envelope.from;
  if (meta.nextAttemptAt && (meta.state === 'deferred' || meta.state === 'incoming'))
    item.nextAttemptAt = meta.nextAttemptAt;
  const lastError = meta.lastError ?? meta.quarantine;
  if (lastError) item.lastError = { code: lastError.code, message: lastError.message };
  if (meta.heldReason) item.heldReason = meta.heldReason;
  return item;
}

const STATE_ORDER: Record<ItemState, number> = {
  active: 0,
  incoming: 1,
  deferred: 2,
  held: 3,
  failed: 4,
  quarantined: 5,
};

/** Pure: assembles the document; items sorted by state, then oldest first. */
export function buildStatusDoc(input: {
  now: number;
  daemon: { pid: number; startedAt: string } | undefined;
  items: ItemMeta[];
  grace: StatusDoc['grace'];
}): StatusDoc {
  const counts = { grace: input.grace.length, queued: 0, active: 0, deferred: 0, held: 0, failed: 0, quarantined: 0 };
  for (const m of input.items) {
    if (m.state === 'incoming') counts.queued++;
    else counts[m.state]++;
  }
  const items = input.items
    .map(toStatusItem)
    .sort(
      (a, b) =>
        STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
        a.firstSeenAt.localeCompare(b.firstSeenAt) ||
        a.id.localeCompare(b.id),
    );
  return {
    generatedAt: new Date(input.now).toISOString(),
    daemon: input.daemon
      ? { running: true, pid: input.daemon.pid, startedAt: input.daemon.startedAt }
      : { running: false },
    counts,
    items,
    grace: input.grace,
  };
}
