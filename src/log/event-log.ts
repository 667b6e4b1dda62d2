/** The contract's `event.action` values. */
export type EventAction =
  | 'spool.detected'
  | 'spool.cleared'
  | 'item.claimed'
  | 'delivery.succeeded'
  | 'delivery.deferred'
  | 'delivery.failed'
  | 'item.quarantined'
  | 'item.expired'
  | 'item.held'
  | 'item.released'
  | 'item.deleted'
  | 'item.retry_requested'
  | 'daemon.started'
  | 'daemon.stopped'
  /** `imspooler drafts send|delete` on a draft a failed client left in Drafts. */
  | 'drafts.sent'
  | 'drafts.deleted';

export type EventOutcome = 'success' | 'failure' | 'unknown';

/**
 * The envelope's addresses, once an item's content has been read: written as ECS
 * `email.from.address`, `email.to.address`, `email.cc.address` (arrays), so a support engineer
 * finds a message by who sent it or to whom. Never the subject: only addresses.
 */
export interface EmailAddresses {
  from: string;
  to: readonly string[];
  cc: readonly string[];
}

/** The addresses of an envelope, for {@link EventFields.email}; nothing when it is not known. */
export function emailOf(
  envelope: { from: string; to: readonly string[]; cc: readonly string[] } | undefined,
): { email?: EmailAddresses } {
  return envelope ? { email: { from: envelope.from, to: envelope.to, cc: envelope.cc } } : {};
}

/** Fields of one outcome line; written as ECS (`file.path`, `imspooler.item.id`, ...). */
export interface EventFields {
  level?: 'error' | 'warn' | 'info' | 'debug';
  filePath?: string;
  itemId?: string;
  attempt?: number;
  /** Milliseconds; written as `event.duration` in nanoseconds. */
  durationMs?: number;
  error?: { code: string; message: string } | undefined;
  nextAttemptAt?: string;
  /** Left out of the line when `log.addresses` is false. */
  email?: EmailAddresses;
  /** Extra fields under `imspooler.*` (e.g. group, item_class, user). Never bodies or secrets. */
  extra?: Record<string, unknown>;
}

/** Where outcome lines go. The daemon and CLI write through this; tests capture it. */
export interface EventLog {
  event(action: EventAction, outcome: EventOutcome, message: string, fields?: EventFields): void;
  /** Diagnostics that are not outcomes (start-up details, warnings). */
  diag(
    level: 'error' | 'warn' | 'info' | 'debug',
    message: string,
    extra?: Record<string, unknown>,
  ): void;
  /** Flushes and closes file transports. */
  close(): Promise<void>;
  /**
   * Closes the log file and opens it again by name (SIGHUP, after logrotate moved it away), so
   * lines go to the new file and none to the moved one. Absent where there is no file.
   */
  reopen?(): Promise<void>;
}
