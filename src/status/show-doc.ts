import type { Attempt, GroupName, GroupProgress, ItemMeta } from '../queue/item-meta.js';
import {
  check,
  checkAttempts,
  checkEnvelope,
  checkGroups,
  Damage,
  type DamagedField,
} from './meta-fields.js';
import type { ItemKind } from '../item/spool-item.js';
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
 * A field damaged on disk is left out and named in `damaged`; the fields marked "unless damaged"
 * are then the ones that may be missing.
 */
export interface ShowDoc {
  id: string;
  /** A queue state, or how the item left the queue (found in the history). */
  state: PublicState | 'delivered' | 'deleted';
  /** When it left the queue (delivered, deleted); only then. */
  finishedAt?: string;
  /** Unless damaged. */
  source?: string;
  format?: string;
  /** `offline-im` or `conversation-history`; absent when the content could not be read. */
  kind?: ItemKind;
  /** Unless damaged. */
  size?: number;
  /** Unless damaged. */
  firstSeenAt?: string;
  /** Unless damaged. */
  claimedAt?: string;
  /** Unless damaged. */
  updatedAt?: string;
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
  /** Fields of the metadata file that were not of their type, so not shown. */
  damaged?: DamagedField[];
}

/**
 * Pure: the document `show --json` prints, from metadata checked field by field; `left` when the
 * item is in the history.
 */
export function toShowDoc(
  meta: ItemMeta,
  messages?: ShowMessage[],
  left?: { state: 'delivered' | 'deleted'; finishedAt: string },
): ShowDoc {
  const d = new Damage();
  // Read as unknown: the reader vouches for the frame only (see meta-fields.ts).
  const m = meta as unknown as Record<string, unknown>;
  const doc: ShowDoc = {
    id: meta.id,
    state: left ? left.state : publicState(meta.state),
    groups: checkGroups(d, meta.groups as Record<string, unknown>),
    attempts: checkAttempts(d, meta.attempts as unknown[]),
  };
  const set = <K extends keyof ShowDoc>(key: K, value: ShowDoc[K] | undefined): void => {
    if (value !== undefined) doc[key] = value;
  };
  if (left) doc.finishedAt = left.finishedAt;
  set('attemptCount', check.count(d, 'attemptCount', m.attemptCount));
  set('source', check.text(d, 'source', m.source ?? null));
  if (m.format !== undefined && m.format !== 'json' && m.format !== 'mime')
    d.note('format', '"json" or "mime"', m.format); // prettier-ignore
  else set('format', m.format as ShowDoc['format']);
  set('size', check.count(d, 'size', m.size ?? null));
  set('firstSeenAt', check.time(d, 'firstSeenAt', m.firstSeenAt ?? null));
  set('claimedAt', check.time(d, 'claimedAt', m.claimedAt ?? null));
  set('updatedAt', check.time(d, 'updatedAt', m.updatedAt ?? null));
  set('envelope', checkEnvelope(d, m.envelope));
  const next = check.time(d, 'nextAttemptAt', m.nextAttemptAt);
  if (!left && next !== undefined && (meta.state === 'deferred' || meta.state === 'incoming')) doc.nextAttemptAt = next; // prettier-ignore
  set('lastError', check.error(d, 'lastError', m.lastError));
  set('retryWindowFrom', check.time(d, 'retryWindowFrom', m.retryWindowFrom));
  const held = check.text(d, 'heldReason', m.heldReason);
  if (!left) set('heldReason', held);
  set('quarantine', check.error(d, 'quarantine', m.quarantine));
  if (m.kind !== undefined && m.kind !== 'offline-im' && m.kind !== 'conversation-history')
    d.note('kind', '"offline-im" or "conversation-history"', m.kind);
  const kind = kindOf({ kind: m.kind as ItemKind | undefined, envelope: doc.envelope });
  if (kind && (m.kind === undefined || m.kind === kind)) doc.kind = kind;
  if (messages) doc.messages = messages;
  if (d.list.length > 0) doc.damaged = d.list;
  return doc;
}
