import { isUtf8 } from 'node:buffer';
import { parseAddress } from './addresses.js';
import {
  ccWithoutTo,
  checkKind,
  describeType,
  fail,
  firstInvalidUtf8Offset,
  quoteValue,
  stripUtf8Bom,
  type ParserOutcome,
} from './parse-common.js';
import type { SpoolParser, TranscriptMessage } from './spool-item.js';

// ISO 8601 with a zone, as `Date.toISOString()` and every JSON library writes it. A bare local time
// would be read in the daemon's zone, not the sender's: rejecting it beats guessing.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

type Obj = Record<string, unknown>;
type Failure = Extract<ParserOutcome, { ok: false }>;

/** The JSON spool format of CONTRACT.md: an object whose first non-blank character is `{`. */
export const jsonParser: SpoolParser = {
  format: 'json',
  detect(bytes) {
    const body = stripUtf8Bom(bytes);
    for (let i = 0; i < body.length; i++) {
      const c = body[i];
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
      return c === 0x7b;
    }
    return false;
  },
  parse: (bytes) => Promise.resolve(parseJsonItem(bytes)),
};

/** Synchronous core of {@link jsonParser}: decode, parse and check every field. */
export function parseJsonItem(bytes: Buffer): ParserOutcome {
  const body = stripUtf8Bom(bytes);
  if (!isUtf8(body)) {
    const at = firstInvalidUtf8Offset(body) + (body.length < bytes.length ? 3 : 0);
    return fail(
      'InvalidUtf8',
      `the file is not valid UTF-8 (first bad byte at offset ${at}); JSON spool items must be saved as UTF-8`,
    );
  }
  const text = body.toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail('InvalidJson', `the file is not valid JSON (${syntaxWhere(e, text)})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return fail('InvalidJson', `the top level must be a JSON object, got ${describeType(doc)}`);
  }
  return checkDocument(doc as Obj);
}

function checkDocument(doc: Obj): ParserOutcome {
  // First: a file meant for another kind of delivery must not be taken for an offline message.
  const kindField = optionalString(doc.kind, 'kind');
  if (typeof kindField === 'object') return kindField;
  const kind = checkKind(kindField, 'the "kind" field');
  if (typeof kind === 'object') return kind;
  if (doc.from === undefined || doc.from === null || doc.from === '') {
    return fail(
      'MissingSender',
      'the "from" field is missing; it must hold the sender\'s address, e.g. "alice@contoso.com"',
    );
  }
  const from = checkAddress(doc.from, 'from');
  if (typeof from !== 'string') return from;

  const to = checkAddressList(doc.to, 'to');
  if (!Array.isArray(to)) return to;
  const cc = checkAddressList(doc.cc, 'cc');
  if (!Array.isArray(cc)) return cc;
  const ccOnly = ccWithoutTo(to, cc);
  if (to.length === 0 && ccOnly.length === 0) {
    return fail(
      'NoRecipients',
      'neither "to" nor "cc" lists a recipient; at least one address is required',
    );
  }

  const subject = optionalString(doc.subject, 'subject');
  if (typeof subject === 'object') return subject;
  const conversationId = optionalString(doc.conversationId, 'conversationId');
  if (typeof conversationId === 'object') return conversationId;

  const messages = checkMessages(doc.messages);
  if (!Array.isArray(messages)) return messages;

  return {
    ok: true,
    item: {
      format: 'json',
      kind,
      from,
      to,
      cc: ccOnly,
      ...(subject !== undefined && subject !== '' ? { subject } : {}),
      ...(conversationId !== undefined && conversationId !== '' ? { conversationId } : {}),
      messages,
    },
  };
}

function checkAddress(v: unknown, field: string): string | Failure {
  if (typeof v !== 'string') {
    return fail(
      'InvalidField',
      `"${field}" must be an address as a string, got ${describeType(v)}`,
    );
  }
  const r = parseAddress(v);
  if (!r.ok)
    return fail(
      'InvalidAddress',
      `"${field}" ${quoteValue(v)} is not a valid e-mail address: ${r.reason}`,
    );
  return r.address;
}

/** An optional list of addresses, without duplicates (case-insensitive, first spelling kept). */
function checkAddressList(v: unknown, field: string): string[] | Failure {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    return fail('InvalidField', `"${field}" must be a list of addresses, got ${describeType(v)}`);
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of v.entries()) {
    const a = checkAddress(entry, `${field}[${i}]`);
    if (typeof a !== 'string') return a;
    const key = a.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(a);
    }
  }
  return out;
}

function optionalString(v: unknown, field: string): string | undefined | Failure {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    return fail('InvalidField', `"${field}" must be a string, got ${describeType(v)}`);
  return v;
}

function checkMessages(v: unknown): TranscriptMessage[] | Failure {
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
    return fail(
      'NoMessages',
      '"messages" is missing or empty; at least one message with "text" or "html" is required',
    );
  }
  if (!Array.isArray(v))
    return fail('InvalidField', `"messages" must be a list, got ${describeType(v)}`);
  const out: TranscriptMessage[] = [];
  for (const [i, m] of v.entries()) {
    const field = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      return fail('InvalidField', `"${field}" must be an object, got ${describeType(m)}`);
    }
    const msg = m as Obj;
    const text = optionalString(msg.text, `${field}.text`);
    if (typeof text === 'object') return text;
    const html = optionalString(msg.html, `${field}.html`);
    if (typeof html === 'object') return html;
    if (!text && !html) {
      return fail(
        'InvalidField',
        `"${field}" has neither "text" nor "html"; every message needs one of them`,
      );
    }
    const at = checkTime(msg.at, `${field}.at`);
    if (typeof at === 'object') return at;
    out.push({ ...(at ? { at } : {}), ...(text ? { text } : {}), ...(html ? { html } : {}) });
  }
  return out;
}

/** An optional time, normalised to `toISOString()` form (UTC, milliseconds). */
function checkTime(v: unknown, field: string): string | undefined | Failure {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    return fail(
      'InvalidField',
      `"${field}" must be an ISO 8601 time string, got ${describeType(v)}`,
    );
  }
  const ms = ISO_TIME.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) {
    return fail(
      'InvalidField',
      `"${field}" ${quoteValue(v)} is not an ISO 8601 time with a zone, such as "2026-11-24T09:58:03Z"`,
    );
  }
  return new Date(ms).toISOString();
}

/**
 * Where a JSON syntax error is, as line and column. V8's own message can quote the file's text,
 * which may be a message body, so only its position is used.
 */
function syntaxWhere(e: unknown, text: string): string {
  const msg = e instanceof Error ? e.message : '';
  const pos = /at position (\d+)/.exec(msg);
  if (pos) {
    const offset = Number(pos[1]);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return `syntax error at line ${line}, column ${column}`;
  }
  if (/end of (JSON )?input|Unterminated/i.test(msg)) return 'it ends before the JSON is complete';
  return 'syntax error';
}
