import type { Attempt, GroupName, GroupProgress, ItemMeta } from '../queue/item-meta.js';
import type { ItemKind } from '../spool/spool-item.js';
import { kindOf, publicState, type PublicState } from './status-doc.js';

/** One message of the transcript, only with `show --body`. */
export interface ShowMessage {
  at?: string;
  text?: string;
  html?: string;
}

/**
 * The `show --json` document: one item as the queue holds it, in the words `status` uses.
 * Validated by schemas/show.schema.json. Internal bookkeeping (`seq`, `version`) is left out.
 */
export interface ShowDoc {
  id: string;
  /** A queue state, or how the item left the queue (found in the history). */
  state: PublicState | 'delivered' | 'deleted';
  /** When it left the queue (delivered, deleted); only then. */
  finishedAt?: string;
  source: string;
  format?: string;
  /** `offline-im` or `conversation-history`; absent when the content could not be read. */
  kind?: ItemKind;
  size: number;
  firstSeenAt: string;
  claimedAt: string;
  updatedAt: string;
  envelope?: { from: string; to: string[]; cc: string[]; subject?: string };
  groups: Partial<Record<GroupName, GroupProgress>>;
  attempts: Attempt[];
  /** Attempts made before the list was kept (a delivered item imported from 0.1.0). */
  attemptCount?: number;
  nextAttemptAt?: string;
  lastError?: { code: string; message: string };
  /** When the last operator retry or release restarted the `retry.maxAge` window. */
  retryWindowFrom?: string;
  heldReason?: string;
  quarantine?: { code: string; message: string };
  /** Only with `--body`. */
  messages?: ShowMessage[];
}

/** Pure: the document `show --json` prints; `left` when the item is in the history. */
export function toShowDoc(
  meta: ItemMeta,
  messages?: ShowMessage[],
  left?: { state: 'delivered' | 'deleted'; finishedAt: string },
): ShowDoc {
  const doc: ShowDoc = {
    id: meta.id,
    state: left ? left.state : publicState(meta.state),
    source: meta.source,
    size: meta.size,
    firstSeenAt: meta.firstSeenAt,
    claimedAt: meta.claimedAt,
    updatedAt: meta.updatedAt,
    groups: meta.groups,
    attempts: meta.attempts,
  };
  if (left) doc.finishedAt = left.finishedAt;
  if (meta.attemptCount !== undefined) doc.attemptCount = meta.attemptCount;
  if (meta.format !== undefined) doc.format = meta.format;
  const kind = kindOf(meta);
  if (kind) doc.kind = kind;
  if (meta.envelope) doc.envelope = meta.envelope;
  if (
    !left &&
    meta.nextAttemptAt !== undefined &&
    (meta.state === 'deferred' || meta.state === 'incoming')
  ) {
    doc.nextAttemptAt = meta.nextAttemptAt;
  }
  if (meta.lastError) doc.lastError = meta.lastError;
  if (meta.retryWindowFrom !== undefined) doc.retryWindowFrom = meta.retryWindowFrom;
  if (meta.heldReason !== undefined && !left) doc.heldReason = meta.heldReason;
  if (meta.quarantine) doc.quarantine = meta.quarantine;
  if (messages) doc.messages = messages;
  return doc;
}
