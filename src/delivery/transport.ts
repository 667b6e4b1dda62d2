import type { GroupName } from '../queue/item-meta.js';

/** One message to send: one recipient group of one spool item. */
export interface SendRequest {
  itemId: string;
  group: GroupName;
  /** `IPM.Note.Microsoft.Missed` for the organisation, `IPM.Note` for federated recipients. */
  itemClass: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  /** The transcript as HTML (not yet XML-escaped: the transport escapes every value). */
  html: string;
  /** Value of the `X-IMSpooler-Item-Id` header: `<itemId>/<group>`. */
  headerValue: string;
}

/**
 * A way to reach the mail server. Every method throws a `DeliveryError` on failure and honours
 * its AbortSignal (shutdown abandons requests in flight).
 */
export interface Transport {
  readonly name: string;
  /** Sends and saves a copy (EWS `CreateItem` `SendAndSaveCopy` into `conversationhistory`). */
  send(request: SendRequest, signal?: AbortSignal): Promise<void>;
  /**
   * Is a saved copy carrying this `X-IMSpooler-Item-Id` value already there? `sender` (the spool
   * item's sender) names the mailbox to search where that depends on the sender (Graph, `auto`).
   */
  findSent(headerValue: string, signal?: AbortSignal, sender?: string): Promise<boolean>;
  /** One cheap authenticated call, for `check-config --probe`. Resolves to a description. */
  probe(signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

export const ITEM_HEADER = 'X-IMSpooler-Item-Id';
export const ORG_ITEM_CLASS = 'IPM.Note.Microsoft.Missed';
export const FED_ITEM_CLASS = 'IPM.Note';
