/**
 * The Graph mail operations the daemon uses, over the sandbox mailbox: `sendMail`, creating a
 * message in a folder (a conversation-history item, saved and never sent), a message search by
 * extended property, and reading a mail folder (the probe). Answers are Graph-shaped
 * JSON; errors carry the Exchange codes Graph passes through for mail (`ErrorInvalidRecipients`,
 * `ErrorQuotaExceeded`, ...).
 */
import type { FaultController } from '../faults.js';
import type { MailboxStore } from '../mailbox-store.js';
import type { MessageDraft, TaggedValue } from '../request-parser.js';
import { historyItemProblem, isHistoryFolder } from '../saved-history.js';

/** `PR_MESSAGE_CLASS` as a Graph extended property ID. */
export const MESSAGE_CLASS_PROP = 'string 0x001a';
/** `PS_INTERNET_HEADERS` named properties: Exchange writes them as X-headers. */
const INTERNET_HEADERS_PREFIX = 'string {00020386-0000-0000-c000-000000000046} name ';
/** A property by tag, as Graph names it: `Integer 0x0E07`, `SystemTime 0x0039`, `String 0x001A`. */
const TAGGED_ID = /^(\w+) 0x([0-9a-f]{1,4})$/i;

export interface GraphAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** The operation was performed, then `dropAfterAccept` says: destroy the socket instead. */
  drop?: boolean;
}

/** Graph's error envelope. */
export const graphError = (status: number, code: string, message: string): GraphAnswer => ({
  status,
  body: {
    error: {
      code,
      message,
      innerError: { date: new Date().toISOString(), 'request-id': crypto.randomUUID() },
    },
  },
});

const FOLDERS: Record<string, string> = {
  sentitems: 'Sent Items',
  conversationhistory: 'Conversation History',
  drafts: 'Drafts',
  inbox: 'Inbox',
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function addresses(list: unknown): string[] | undefined {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return undefined;
  const out: string[] = [];
  for (const r of list) {
    const address = isObject(r) && isObject(r['emailAddress']) ? r['emailAddress']['address'] : undefined; // prettier-ignore
    if (typeof address !== 'string' || !address.includes('@')) return undefined;
    out.push(address);
  }
  return out;
}

/** The `message` of a sendMail body as a draft, or why it is invalid (HTTP 400). */
export function draftFromGraph(message: unknown): MessageDraft | string {
  if (!isObject(message)) return 'message is required';
  const to = addresses(message['toRecipients']);
  const cc = addresses(message['ccRecipients']);
  const bcc = addresses(message['bccRecipients']);
  if (!to || !cc || !bcc) return 'recipients must be { emailAddress: { address } } objects';
  const body = isObject(message['body']) ? message['body'] : {};
  const from = isObject(message['from']) && isObject(message['from']['emailAddress'])
    ? message['from']['emailAddress']['address'] : undefined; // prettier-ignore
  const draft: MessageDraft = {
    itemClass: 'IPM.Note',
    subject: typeof message['subject'] === 'string' ? message['subject'] : '',
    bodyType: String(body['contentType'] ?? 'text').toLowerCase() === 'html' ? 'HTML' : 'Text',
    body: typeof body['content'] === 'string' ? body['content'] : '',
    to,
    cc,
    bcc,
    from: typeof from === 'string' ? from : undefined,
    internetHeaders: {},
  };
  const tagged: Record<number, TaggedValue> = {};
  const props = message['singleValueExtendedProperties'] ?? [];
  if (!Array.isArray(props)) return 'singleValueExtendedProperties must be a list';
  for (const p of props) {
    if (!isObject(p) || typeof p['id'] !== 'string' || typeof p['value'] !== 'string') {
      return 'each extended property needs a string id and value';
    }
    const id = p['id'].toLowerCase().replace(/\s+/g, ' ');
    if (id === MESSAGE_CLASS_PROP || id === 'string 0x1a') draft.itemClass = p['value'];
    else if (id.startsWith(INTERNET_HEADERS_PREFIX)) {
      draft.internetHeaders[p['id'].slice(INTERNET_HEADERS_PREFIX.length).trim()] = p['value'];
    } else {
      const t = TAGGED_ID.exec(p['id'].trim().replace(/\s+/g, ' '));
      if (t) tagged[parseInt(t[2]!, 16)] = { type: graphType(t[1]!), value: p['value'] };
    }
  }
  draft.tagged = tagged;
  const headers = message['internetMessageHeaders'] ?? [];
  if (!Array.isArray(headers)) return 'internetMessageHeaders must be a list';
  for (const h of headers) {
    if (!isObject(h) || typeof h['name'] !== 'string' || typeof h['value'] !== 'string') {
      return 'each internet message header needs a name and a value';
    }
    // Graph only takes custom headers: they must start with x- or X-.
    if (!/^x-/i.test(h['name'])) return `header ${h['name']} is not a custom (X-) header`;
    draft.internetHeaders[h['name']] = h['value'];
  }
  return draft;
}

/** `POST /users/{id}/sendMail`: 202 Accepted and a saved copy in Sent Items. */
export async function sendMail(
  body: unknown,
  ctx: { store: MailboxStore; faults: FaultController },
): Promise<GraphAnswer> {
  if (!isObject(body)) return graphError(400, 'ErrorInvalidRequest', 'Empty or invalid request body.'); // prettier-ignore
  const draft = draftFromGraph(body['message']);
  if (typeof draft === 'string') return graphError(400, 'ErrorInvalidRequest', draft);
  if (!/^IPM\.Note(\.|$)/i.test(draft.itemClass)) {
    return graphError(400, 'ErrorObjectTypeChanged', `The item class '${draft.itemClass}' is not valid for a message.`); // prettier-ignore
  }
  const recipients = [...draft.to, ...draft.cc, ...draft.bcc];
  if (recipients.length === 0) {
    return graphError(400, 'ErrorInvalidRecipients', "At least one recipient isn't valid., A message can't be sent because it contains no recipients."); // prettier-ignore
  }
  const fault = ctx.faults.create(recipients);
  if (fault) return graphError(statusFor(fault.code), fault.code, fault.message);
  const save = body['saveToSentItems'] !== false && body['saveToSentItems'] !== 'false';
  await ctx.store.deliver(draft, save ? 'SendAndSaveCopy' : 'SendOnly', 'sentitems');
  return { status: 202, drop: ctx.faults.afterCreate() };
}

/** Graph spells MAPI types as EWS does, in any case: `Integer`, `SystemTime`, `String`. */
function graphType(t: string): string {
  const known = ['Integer', 'SystemTime', 'String', 'Boolean', 'Long', 'Double', 'Binary'];
  return known.find((k) => k.toLowerCase() === t.toLowerCase()) ?? t;
}

/**
 * `POST /users/{id}/mailFolders/{folder}/messages`: the message is created there, never sent
 * (201 with the new message). Into Conversation History it must be read from creation on
 * (`Integer 0x0E07` = 1), as the EWS side demands.
 */
export async function createMessage(
  folder: string,
  body: unknown,
  ctx: { store: MailboxStore; faults: FaultController },
): Promise<GraphAnswer> {
  const name = folder.toLowerCase();
  if (!FOLDERS[name]) return graphError(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.'); // prettier-ignore
  const draft = draftFromGraph(body);
  if (typeof draft === 'string') return graphError(400, 'ErrorInvalidRequest', draft);
  if (!/^IPM\.Note(\.|$)/i.test(draft.itemClass)) {
    return graphError(400, 'ErrorObjectTypeChanged', `The item class '${draft.itemClass}' is not valid for a message.`); // prettier-ignore
  }
  const problem = isHistoryFolder(name) ? historyItemProblem(draft) : undefined;
  if (problem) return graphError(400, problem.code, problem.message);
  const fault = ctx.faults.create([...draft.to, ...draft.cc, ...draft.bcc]);
  if (fault) return graphError(statusFor(fault.code), fault.code, fault.message);
  const copy = await ctx.store.deliver(draft, 'SaveOnly', name);
  return {
    status: 201,
    body: {
      id: copy?.id,
      subject: draft.subject,
      isDraft: !isHistoryFolder(name),
      parentFolderId: Buffer.from(name).toString('base64'),
    },
    drop: ctx.faults.afterCreate(),
  };
}

/** HTTP statuses Graph uses with these Exchange codes. */
function statusFor(code: string): number {
  if (/AccessDenied|SendAsDenied/.test(code)) return 403;
  if (/Quota/.test(code)) return 507;
  if (/Busy|Unavailable|Transient|Failover|MoveInProgress|ConnectionFailed/.test(code)) return 503;
  if (/ExceededConnectionCount/.test(code)) return 429;
  return 400;
}

/**
 * `singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')`: the only filter the
 * daemon sends. Returns undefined for anything else.
 */
export function parsePropertyFilter(filter: string): { id: string; value: string } | undefined {
  const q = "'((?:[^']|'')*)'";
  const re = new RegExp(
    `^\\s*singleValueExtendedProperties/any\\(\\s*(\\w+)\\s*:\\s*\\1/id\\s+eq\\s+${q}\\s+and\\s+\\1/value\\s+eq\\s+${q}\\s*\\)\\s*$`,
    'i',
  );
  const m = re.exec(filter);
  if (!m) return undefined;
  const un = (s: string | undefined) => (s ?? '').replace(/''/g, "'");
  return { id: un(m[2]), value: un(m[3]) };
}

/** `GET /users/{id}/messages?$filter=…` (all folders) or `/mailFolders/{f}/messages`. */
export function findMessages(
  query: URLSearchParams,
  folder: string | undefined,
  store: MailboxStore,
): GraphAnswer {
  const filter = query.get('$filter');
  const parsed = filter === null ? undefined : parsePropertyFilter(filter);
  if (filter !== null && !parsed) {
    return graphError(400, 'ErrorInvalidUrlQueryFilter', 'The sandbox only understands a singleValueExtendedProperties/Any filter.'); // prettier-ignore
  }
  const id = parsed?.id.toLowerCase().replace(/\s+/g, ' ');
  let restriction: Parameters<MailboxStore['find']>[1];
  if (parsed && id?.startsWith(INTERNET_HEADERS_PREFIX)) {
    restriction = { kind: 'header', name: parsed.id.slice(INTERNET_HEADERS_PREFIX.length).trim(), value: parsed.value }; // prettier-ignore
  } else if (parsed && id === MESSAGE_CLASS_PROP) {
    restriction = { kind: 'field', fieldURI: 'item:ItemClass', value: parsed.value };
  } else if (parsed) {
    return { status: 200, body: { value: [] } };
  }
  const folders = folder ? [folder.toLowerCase()] : Object.keys(FOLDERS);
  const top = Number(query.get('$top') ?? 10);
  const found = store.find(folders, restriction).slice(0, Number.isFinite(top) && top > 0 ? top : 10); // prettier-ignore
  return {
    status: 200,
    body: { value: found.map((c) => ({ id: c.id, subject: c.subject, sentDateTime: c.sentAt })) },
  };
}

/** `GET /users/{id}/mailFolders/{well-known name}`. */
export function getFolder(name: string): GraphAnswer {
  const display = FOLDERS[name.toLowerCase()];
  if (!display) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.'); // prettier-ignore
  return { status: 200, body: { id: Buffer.from(name).toString('base64'), displayName: display, totalItemCount: 0 } }; // prettier-ignore
}
