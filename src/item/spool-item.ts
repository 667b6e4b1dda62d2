/** One instant message of a transcript. */
export interface TranscriptMessage {
  /** ISO 8601 time the message was sent, when known. */
  at?: string;
  text?: string;
  html?: string;
}

/**
 * What an item is for. `offline-im`: an offline message, sent to its recipients.
 * `conversation-history`: the sender's own record of a conversation that never reached their
 * mailbox, saved (never sent) in their Conversation History folder.
 */
export type ItemKind = 'offline-im' | 'conversation-history';

/** Every {@link ItemKind}, as spool files spell them. */
export const ITEM_KINDS: readonly ItemKind[] = ['offline-im', 'conversation-history'];

/** The MIME header naming an item's kind (JSON items have a `kind` field). */
export const KIND_HEADER = 'X-IMSpooler-Kind';

/** A spool file parsed into what delivery needs. Addresses are bare SMTP (no `sip:`), as given. */
export interface SpoolItem {
  /** Lowercase hex SHA-256 of the file's bytes: stable across restarts and renames. */
  id: string;
  format: 'json' | 'mime';
  /** `offline-im` unless the file says otherwise. */
  kind: ItemKind;
  from: string;
  to: string[];
  cc: string[];
  subject?: string;
  conversationId?: string;
  /** MIME `Message-ID`, when present. */
  messageId?: string;
  /** MIME `Date` (ISO 8601), when present. */
  date?: string;
  /** The transcript; a MIME item has exactly one entry holding its text and/or HTML part. */
  messages: TranscriptMessage[];
}

/** Why a spool file cannot be delivered: a PascalCase code and a sentence a person can act on. */
export interface ParseFailure {
  code: string;
  message: string;
  /** The format the content was recognised as before it failed to parse (none: unrecognised). */
  format?: SpoolItem['format'];
}

export type ParseResult = { ok: true; item: SpoolItem } | ({ ok: false } & ParseFailure);

/**
 * A spool format. Formats are recognised by content, not by name; adding one means adding a parser
 * to the list in `item/parse-item.ts` and nothing else.
 */
export interface SpoolParser {
  readonly format: SpoolItem['format'];
  /** Cheap sniff of the first bytes: does this look like my format? */
  detect(bytes: Buffer): boolean;
  /** Full parse. Never throws: every problem is a ParseFailure. `id` is filled in by the caller. */
  parse(
    bytes: Buffer,
  ): Promise<{ ok: true; item: Omit<SpoolItem, 'id'> } | ({ ok: false } & ParseFailure)>;
}
