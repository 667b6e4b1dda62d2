import { parseItemAction, type ItemAction } from './drafts/parse-item-action.js';
import { SchemaViolation } from './schema-violation.js';
import { child, childrenNamed, MalformedXmlError, parseXml, type XmlNode } from './xml-tree.js';

/** Re-exported: what parseEnvelope throws, for its callers to catch. */
export { SchemaViolation };

/** One `t:Message` of a `CreateItem`, values decoded. */
export interface MessageDraft {
  itemClass: string;
  subject: string;
  bodyType: string;
  body: string;
  to: string[];
  cc: string[];
  bcc: string[];
  from: string | undefined;
  /** InternetHeaders extended properties, by header name as sent. */
  internetHeaders: Record<string, string>;
  /**
   * Extended properties addressed by MAPI tag (`PropertyTag`, hex or decimal), by tag number:
   * their `PropertyType` and value as sent. Optional: only EWS and Graph requests fill it.
   */
  tagged?: Record<number, TaggedValue>;
}

/** One MAPI property by tag, as a request set it. */
export interface TaggedValue {
  type: string;
  value: string;
}

/** The one FindItem restriction the daemon uses, or a plain field equality. */
export type Restriction =
  | { kind: 'header'; name: string; value: string }
  | { kind: 'field'; fieldURI: string; value: string };

export type EwsRequest =
  | {
      op: 'CreateItem';
      disposition: string | undefined;
      savedFolder: string | undefined;
      messages: MessageDraft[];
    }
  | {
      op: 'FindItem';
      folders: string[];
      restriction: Restriction | undefined;
      maxEntries: number | undefined;
      offset: number;
      /** InternetHeaders properties asked for in ItemShape/AdditionalProperties. */
      headers: string[];
    }
  | { op: 'GetItem'; itemIds: string[]; headers: string[] }
  | { op: 'GetFolder'; folders: string[] }
  /** Unimplemented operations; SendItem/DeleteItem carry their parsed `action`. */
  | { op: 'Other'; name: string; action?: ItemAction };

export interface ParsedEnvelope {
  request: EwsRequest;
  /** `RequestServerVersion/@Version`, when the client sent one. */
  serverVersion: string | undefined;
}

// Order of the Item and Message elements in types.xsd: Exchange rejects them out of order.
const ITEM_ORDER = [
  'MimeContent', 'ItemId', 'ParentFolderId', 'ItemClass', 'Subject', 'Sensitivity', 'Body',
  'Attachments', 'DateTimeReceived', 'Size', 'Categories', 'Importance', 'InReplyTo', 'IsSubmitted',
  'IsDraft', 'IsFromMe', 'IsResend', 'IsUnmodified', 'InternetMessageHeaders', 'DateTimeSent',
  'DateTimeCreated', 'ResponseObjects', 'ReminderDueBy', 'ReminderIsSet', 'ReminderNextTime',
  'ReminderMinutesBeforeStart', 'DisplayCc', 'DisplayTo', 'DisplayBcc', 'HasAttachments',
  'ExtendedProperty', 'Culture', 'Sender', 'ToRecipients', 'CcRecipients', 'BccRecipients',
  'IsReadReceiptRequested', 'IsDeliveryReceiptRequested', 'ConversationIndex', 'ConversationTopic',
  'From', 'InternetMessageId', 'IsRead', 'IsResponseRequested', 'References', 'ReplyTo',
]; // prettier-ignore
const REPEATABLE = new Set(['ExtendedProperty']);
const DISPOSITIONS = new Set(['SaveOnly', 'SendOnly', 'SendAndSaveCopy']);
const BODY_TYPES = new Set(['HTML', 'Text']);

/** Parses a SOAP request body. Throws SchemaViolation (malformed XML included). */
export function parseEnvelope(xml: string): ParsedEnvelope {
  let root: XmlNode;
  try {
    root = parseXml(xml);
  } catch (e) {
    if (e instanceof MalformedXmlError) throw new SchemaViolation(e.message);
    throw e;
  }
  if (root.name !== 'Envelope') throw new SchemaViolation(`Unexpected root '${root.name}'.`);
  const version = child(child(root, 'Header'), 'RequestServerVersion')?.attrs['Version'];
  const op = child(root, 'Body')?.children[0];
  if (!op) throw new SchemaViolation("The element 'Body' is missing its operation element.");
  return { request: parseOperation(op), serverVersion: version };
}

function parseOperation(op: XmlNode): EwsRequest {
  switch (op.name) {
    case 'CreateItem':
      return parseCreateItem(op);
    case 'FindItem':
      return parseFindItem(op);
    case 'GetItem':
      return parseGetItem(op);
    case 'GetFolder':
      return parseGetFolder(op);
    case 'SendItem':
    case 'DeleteItem':
      return { op: 'Other', name: op.name, action: parseItemAction(op) };
    default:
      return { op: 'Other', name: op.name };
  }
}

function required(node: XmlNode | undefined, name: string, parent: string): XmlNode {
  const found = child(node, name);
  if (!found) {
    throw new SchemaViolation(
      `The element '${parent}' has incomplete content: '${name}' expected.`,
    );
  }
  return found;
}

function parseCreateItem(op: XmlNode): EwsRequest {
  const disposition = op.attrs['MessageDisposition'];
  if (disposition !== undefined && !DISPOSITIONS.has(disposition)) {
    throw new SchemaViolation(`The 'MessageDisposition' attribute is invalid: '${disposition}'.`);
  }
  const saved = child(op, 'SavedItemFolderId');
  const items = required(op, 'Items', 'CreateItem');
  const messages = items.children.map((item) => {
    if (item.name !== 'Message') {
      throw new SchemaViolation(`Item type '${item.name}' is not supported by the sandbox.`);
    }
    return parseMessage(item);
  });
  return {
    op: 'CreateItem',
    disposition,
    savedFolder: saved ? folderName(saved) : undefined,
    messages,
  };
}

function parseMessage(msg: XmlNode): MessageDraft {
  checkOrder(msg);
  const body = child(msg, 'Body');
  const bodyType = body?.attrs['BodyType'] ?? 'Text';
  if (body && !BODY_TYPES.has(bodyType)) {
    throw new SchemaViolation(`The 'BodyType' attribute is invalid: '${bodyType}'.`);
  }
  const internetHeaders: Record<string, string> = {};
  const tagged: Record<number, TaggedValue> = {};
  for (const ext of childrenNamed(msg, 'ExtendedProperty')) {
    const uri = required(ext, 'ExtendedFieldURI', 'ExtendedProperty');
    const value = required(ext, 'Value', 'ExtendedProperty').text;
    const type = uri.attrs['PropertyType'];
    if (!type) {
      throw new SchemaViolation("The required attribute 'PropertyType' is missing.");
    }
    const name = uri.attrs['PropertyName'];
    if (uri.attrs['DistinguishedPropertySetId'] === 'InternetHeaders' && name) {
      internetHeaders[name] = value;
    }
    const tag = uri.attrs['PropertyTag'];
    if (tag !== undefined) tagged[propertyTag(tag)] = { type, value };
  }
  return {
    itemClass: child(msg, 'ItemClass')?.text ?? 'IPM.Note',
    subject: child(msg, 'Subject')?.text ?? '',
    bodyType,
    body: body?.text ?? '',
    to: addresses(child(msg, 'ToRecipients')),
    cc: addresses(child(msg, 'CcRecipients')),
    bcc: addresses(child(msg, 'BccRecipients')),
    from: addresses(child(msg, 'From'))[0],
    internetHeaders,
    tagged,
  };
}

/** `PropertyTagType`: an unsignedShort, or `0x` and one to four hex digits. */
function propertyTag(raw: string): number {
  const t = raw.trim();
  const n = /^0x[0-9a-f]{1,4}$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d{1,5}$/.test(t) ? Number(t) : NaN; // prettier-ignore
  if (!(n >= 0 && n <= 0xffff)) {
    throw new SchemaViolation(`The 'PropertyTag' attribute is invalid: '${raw}'.`);
  }
  return n;
}

function checkOrder(msg: XmlNode): void {
  let last = -1;
  for (const c of msg.children) {
    const at = ITEM_ORDER.indexOf(c.name);
    if (at < 0) throw new SchemaViolation(`The element 'Message' has invalid child '${c.name}'.`);
    if (at < last || (at === last && !REPEATABLE.has(c.name))) {
      throw new SchemaViolation(`The element 'Message' has invalid child element '${c.name}'.`);
    }
    last = at;
  }
}

function addresses(list: XmlNode | undefined): string[] {
  return childrenNamed(list, 'Mailbox').map((mb) => {
    const addr = child(mb, 'EmailAddress')?.text.trim();
    if (!addr) throw new SchemaViolation("The element 'Mailbox' has no 'EmailAddress'.");
    return addr;
  });
}

function folderName(container: XmlNode): string {
  const first = container.children[0];
  if (!first) throw new SchemaViolation(`The element '${container.name}' has no folder id.`);
  return folderIdOf(first);
}

function folderIdOf(el: XmlNode): string {
  if (el.name !== 'DistinguishedFolderId' && el.name !== 'FolderId') {
    throw new SchemaViolation(`The element '${el.name}' is not a folder id.`);
  }
  const id = el.attrs['Id'];
  if (!id) throw new SchemaViolation("The required attribute 'Id' is missing.");
  return id;
}

function parseFindItem(op: XmlNode): EwsRequest {
  const shape = required(op, 'ItemShape', 'FindItem');
  const parents = required(op, 'ParentFolderIds', 'FindItem');
  const folders = parents.children.map(folderIdOf);
  if (folders.length === 0) throw new SchemaViolation("'ParentFolderIds' is empty.");
  const view = child(op, 'IndexedPageItemView');
  const max = view?.attrs['MaxEntriesReturned'];
  return {
    op: 'FindItem',
    folders,
    restriction: parseRestriction(child(op, 'Restriction')),
    maxEntries: max === undefined ? undefined : Number(max),
    offset: Number(view?.attrs['Offset'] ?? 0),
    headers: requestedHeaders(shape),
  };
}

function parseRestriction(r: XmlNode | undefined): Restriction | undefined {
  if (!r) return undefined;
  const eq = r.children[0];
  if (!eq || eq.name !== 'IsEqualTo') {
    return { kind: 'field', fieldURI: `unsupported:${eq?.name ?? 'empty'}`, value: '' };
  }
  const constant = child(required(eq, 'FieldURIOrConstant', 'IsEqualTo'), 'Constant');
  const value = constant?.attrs['Value'];
  if (value === undefined) throw new SchemaViolation("The required attribute 'Value' is missing.");
  const ext = child(eq, 'ExtendedFieldURI');
  if (ext && ext.attrs['DistinguishedPropertySetId'] === 'InternetHeaders') {
    return { kind: 'header', name: ext.attrs['PropertyName'] ?? '', value };
  }
  const field = child(eq, 'FieldURI')?.attrs['FieldURI'];
  return { kind: 'field', fieldURI: field ?? 'unsupported:path', value };
}

/** GetFolder, as `check-config --probe` binds the Conversation History folder. */
function parseGetFolder(op: XmlNode): EwsRequest {
  required(op, 'FolderShape', 'GetFolder');
  const folders = required(op, 'FolderIds', 'GetFolder').children.map(folderIdOf);
  if (folders.length === 0) throw new SchemaViolation("'FolderIds' is empty.");
  return { op: 'GetFolder', folders };
}

function parseGetItem(op: XmlNode): EwsRequest {
  const shape = required(op, 'ItemShape', 'GetItem');
  const ids = childrenNamed(required(op, 'ItemIds', 'GetItem'), 'ItemId').map((n) => {
    const id = n.attrs['Id'];
    if (!id) throw new SchemaViolation("The required attribute 'Id' is missing.");
    return id;
  });
  return { op: 'GetItem', itemIds: ids, headers: requestedHeaders(shape) };
}

function requestedHeaders(shape: XmlNode): string[] {
  return childrenNamed(child(shape, 'AdditionalProperties'), 'ExtendedFieldURI')
    .filter((u) => u.attrs['DistinguishedPropertySetId'] === 'InternetHeaders')
    .map((u) => u.attrs['PropertyName'] ?? '')
    .filter((n) => n !== '');
}
