import type { GroupName } from '../queue/item-meta.js';

/**
 * One CreateItem: a message to send to one recipient group of an offline-IM item, or (with
 * `history`) a conversation-history item to save in the signed-in mailbox.
 */
export interface SendRequest {
  itemId: string;
  group: GroupName;
  /**
   * `IPM.Note.Microsoft.Missed` for the organisation, `IPM.Note` for federated recipients,
   * `IPM.Note.Microsoft.Conversation` for a conversation-history item.
   */
  itemClass: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  /** The transcript as HTML (not yet XML-escaped: the transport escapes every value). */
  html: string;
  /** Value of the `X-IMSpooler-Item-Id` header: `<itemId>/<group>`. */
  headerValue: string;
  /**
   * Present for a conversation-history item (group `history`): saved, never sent, in the
   * Conversation History folder of the mailbox the transport signs in as, marked read (not a
   * draft) and dated when the conversation began. `to` then lists the other participants.
   */
  history?: HistoryDetails;
}

/** What saving a conversation-history item needs beyond a message. */
export interface HistoryDetails {
  /** ISO 8601: the conversation's first message, its client-submit and delivery time. */
  conversationAt: string;
}

/**
 * A way to reach the mail server. Every method throws a `DeliveryError` on failure and honours
 * its AbortSignal (shutdown abandons requests in flight).
 */
export interface Transport {
  readonly name: string;
  /**
   * Sends and saves a copy (EWS `CreateItem` `SendAndSaveCopy` into `conversationhistory`); with
   * `request.history`, only saves (`SaveOnly`), never sends.
   */
  send(request: SendRequest, signal?: AbortSignal): Promise<void>;
  /**
   * Is a saved copy (or a saved conversation-history item) carrying this `X-IMSpooler-Item-Id` value already there? `sender` (the spool
   * item's sender) names the mailbox to search where that depends on the sender (Graph, `auto`).
   */
  findSent(headerValue: string, signal?: AbortSignal, sender?: string): Promise<boolean>;
  /** One cheap authenticated call, for `check-config --probe`. Resolves to a description. */
  probe(signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

/**
 * A transport as it is opened from the configuration: the transport, how to release it (an
 * in-process sandbox is a server to close too), and the secret values in use, so that the logger
 * can make sure they never appear in a line.
 */
export interface OpenedTransport {
  transport: Transport;
  close: () => Promise<void>;
  secrets: string[];
}

export const ITEM_HEADER = 'X-IMSpooler-Item-Id';
export const ORG_ITEM_CLASS = 'IPM.Note.Microsoft.Missed';
export const FED_ITEM_CLASS = 'IPM.Note';
/** The class of the items Skype for Business saves in Conversation History. */
export const HISTORY_ITEM_CLASS = 'IPM.Note.Microsoft.Conversation';
/** The distinguished folder both EWS and Graph call Conversation History. */
export const HISTORY_FOLDER = 'conversationhistory';

/**
 * MAPI properties a conversation-history item is created with. `PR_MESSAGE_FLAGS` must be set at
 * creation: an item saved without `MSGFLAG_READ` (and with `MSGFLAG_UNSENT`, the default for a
 * saved message) is shown as an unsent draft, and the flags cannot be changed afterwards.
 */
export const PR_MESSAGE_FLAGS = 0x0e07;
/** `MSGFLAG_READ`: read, sent or received; not a draft. */
export const MSGFLAG_READ = 1;
export const PR_CLIENT_SUBMIT_TIME = 0x0039;
export const PR_MESSAGE_DELIVERY_TIME = 0x0e06;
