import type { ItemKind, SpoolItem } from '../item/spool-item.js';

/** Queue states (the `state` column of the database; folders under `queue/` in 0.1.0). */
export const ITEM_STATES = [
  'incoming',
  'active',
  'deferred',
  'held',
  'failed',
  'quarantined',
] as const;
export type ItemState = (typeof ITEM_STATES)[number];

/**
 * Delivery groups: same organisation (missed-conversation class), federated (plain e-mail), or
 * `history`, the one group of a conversation-history item (saved in the sender's own mailbox).
 */
export type GroupName = 'org' | 'fed' | 'history';

/** The order groups are delivered in: the organisation's copy first. */
export const GROUP_ORDER: readonly GroupName[] = ['org', 'fed', 'history'];

/**
 * Per-group delivery progress. `sending` is written before the request goes out, so that after a
 * crash or an unclear answer the daemon knows to look for the saved copy before sending again.
 */
export type GroupStatus = 'pending' | 'sending' | 'unclear' | 'sent' | 'failed';

export interface GroupProgress {
  status: GroupStatus;
  recipients: { to: string[]; cc: string[] };
  itemClass: string;
  sentAt?: string;
}

/** One attempt at delivering an item (all its pending groups). */
export interface Attempt {
  n: number;
  startedAt: string;
  durationMs: number;
  outcome: 'success' | 'deferred' | 'failed';
  group?: GroupName;
  error?: { code: string; message: string };
  nextAttemptAt?: string;
}

/** The metadata of one item: small, human-readable JSON (the `meta` column of the database). */
export interface ItemMeta {
  version: 1;
  id: string;
  state: ItemState;
  /** Monotonic write counter: when a crash leaves two copies, the higher one wins. */
  seq: number;
  /** Path of the spool file the item came from. */
  source: string;
  format?: SpoolItem['format'];
  /** What the item is for, once its content was read; absent in items queued before kinds. */
  kind?: ItemKind;
  envelope?: { from: string; to: string[]; cc: string[]; subject?: string };
  size: number;
  firstSeenAt: string;
  claimedAt: string;
  updatedAt: string;
  attempts: Attempt[];
  /**
   * Attempts made before the list was kept: a delivered tombstone of 0.1.0 recorded only their
   * number. Absent otherwise (then the count is `attempts.length`).
   */
  attemptCount?: number;
  groups: Partial<Record<GroupName, GroupProgress>>;
  nextAttemptAt?: string;
  lastError?: { code: string; message: string };
  /**
   * When an operator last asked for a retry or release: `retry.maxAge` counts from here (else from
   * `firstSeenAt`), so a retried item is not expired at its first failure.
   */
  retryWindowFrom?: string;
  /** Who parked it: an operator, the configured policy, or the daemon (quota errors). */
  heldBy?: 'operator' | 'policy' | 'daemon';
  /** Why the item is held (operator hold, policy, quota park). */
  heldReason?: string;
  /** Why the item was quarantined (parse failure, not a regular file, too large). */
  quarantine?: { code: string; message: string };
}
