import type { AddressObject, EmailAddress, ParsedMail } from 'mailparser';
import { parseAddress } from './addresses.js';
import { htmlToText } from './parse-html-text.js';
import {
  ccWithoutTo,
  checkKind,
  fail,
  quoteValue,
  stripUtf8Bom,
  type ParserOutcome,
} from './parse-common.js';
import { KIND_HEADER, type SpoolParser, type TranscriptMessage } from './spool-item.js';

/** How far into a file {@link mimeParser} looks for a header block. */
const SNIFF_BYTES = 8 * 1024;
const HEADER_LINE = /^([!-9;-~]+)[ \t]*:/;
const TELLING_HEADERS = new Set(['from', 'to', 'subject', 'mime-version', 'date', 'received']);

/** The MIME spool format: an RFC 5322 message as any mail library writes it. */
export const mimeParser: SpoolParser = {
  format: 'mime',
  detect: looksLikeHeaders,
  parse: parseMimeItem,
};

/**
 * Whether the file starts with a header block: header lines (or folded continuations) from the
 * first byte, including at least one header every mail library writes.
 */
export function looksLikeHeaders(bytes: Buffer): boolean {
  const head = stripUtf8Bom(bytes).subarray(0, SNIFF_BYTES).toString('latin1');
  const lines = head.split(/\r?\n/);
  // The window may cut the last line short; a whole-window header block is judged without it.
  if (lines.length > 1 && head.length === SNIFF_BYTES) lines.pop();
  let telling = false;
  for (const [i, line] of lines.entries()) {
    if (line === '') return i > 0 && telling;
    if (i > 0 && (line.startsWith(' ') || line.startsWith('\t'))) continue;
    const m = HEADER_LINE.exec(line);
    if (!m) return false;
    if (TELLING_HEADERS.has((m[1] ?? '').toLowerCase())) telling = true;
  }
  return telling;
}

/** Full parse with mailparser, which decodes charsets and transfer encodings as declared. */
export async function parseMimeItem(bytes: Buffer): Promise<ParserOutcome> {
  let mail: ParsedMail;
  // Loaded on the first MIME item: mailparser and its charset tables are about 14 MB of a daemon
  // that may never see one (docs/performance.md, idle footprint).
  const { simpleParser } = await import('mailparser');
  try {
    mail = await simpleParser(bytes, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      checksumAlgo: false,
    });
  } catch (e) {
    const why = e instanceof Error && e.message.length < 200 ? `: ${e.message}` : '';
    return fail('InvalidMime', `the file could not be read as a MIME message${why}`);
  }
  return fromParsedMail(mail);
}

function fromParsedMail(mail: ParsedMail): ParserOutcome {
  const kind = checkKind(headerText(mail, KIND_HEADER), `the ${KIND_HEADER} header`);
  if (typeof kind === 'object') return kind;
  const senders = mailboxes(mail.from);
  const sender = senders[0];
  if (sender === undefined) {
    return fail(
      'MissingSender',
      'the message has no "From" header with an address; the sender is required',
    );
  }
  const from = checkMailbox(sender, 'From');
  if (typeof from !== 'string') return from;

  const to = checkMailboxes(mailboxes(mail.to), 'To');
  if (!Array.isArray(to)) return to;
  const cc = checkMailboxes(mailboxes(mail.cc), 'Cc');
  if (!Array.isArray(cc)) return cc;
  const ccOnly = ccWithoutTo(to, cc);
  if (to.length === 0 && ccOnly.length === 0) {
    return fail(
      'NoRecipients',
      'the message has no "To" or "Cc" address; at least one recipient is required',
    );
  }

  const text = typeof mail.text === 'string' && mail.text.trim() !== '' ? mail.text : undefined;
  const html = typeof mail.html === 'string' && hasVisibleHtml(mail.html) ? mail.html : undefined;
  if (text === undefined && html === undefined) {
    return fail('EmptyBody', 'the message has neither a non-empty text/plain nor a text/html part');
  }
  const date = headerDate(mail);
  const message: TranscriptMessage = {
    ...(date ? { at: date } : {}),
    ...(text !== undefined ? { text } : {}),
    ...(html !== undefined ? { html } : {}),
  };
  const subject = mail.subject?.trim();
  const messageId = mail.messageId?.trim();
  return {
    ok: true,
    item: {
      format: 'mime',
      kind,
      from,
      to,
      cc: ccOnly,
      ...(subject ? { subject } : {}),
      ...(messageId ? { messageId } : {}),
      ...(date ? { date } : {}),
      messages: [message],
    },
  };
}

/** Every mailbox of an address header, group members included. */
function mailboxes(h: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const objs = h === undefined ? [] : Array.isArray(h) ? h : [h];
  const flat = (list: EmailAddress[]): EmailAddress[] =>
    list.flatMap((e) => (e.group ? flat(e.group) : [e]));
  return objs.flatMap((o) => flat(o.value));
}

function checkMailbox(
  e: EmailAddress,
  header: string,
): string | Extract<ParserOutcome, { ok: false }> {
  const raw = e.address ?? '';
  if (raw === '') {
    return fail(
      'InvalidAddress',
      `a "${header}" entry ${quoteValue(e.name)} has no e-mail address`,
    );
  }
  const r = parseAddress(raw);
  if (!r.ok) {
    return fail(
      'InvalidAddress',
      `"${header}" address ${quoteValue(raw)} is not a valid e-mail address: ${r.reason}`,
    );
  }
  return r.address;
}

/** The header's addresses, without duplicates (case-insensitive, first spelling kept). */
function checkMailboxes(
  list: EmailAddress[],
  header: string,
): string[] | Extract<ParserOutcome, { ok: false }> {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    const a = checkMailbox(e, header);
    if (typeof a !== 'string') return a;
    if (!seen.has(a.toLowerCase())) {
      seen.add(a.toLowerCase());
      out.push(a);
    }
  }
  return out;
}

/**
 * An unstructured header's value, unfolded and trimmed, lowercased (kinds are tokens: any case
 * will do); undefined when absent. The first occurrence wins.
 */
function headerText(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  if (line === undefined) return undefined;
  return line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * The `Date` header as ISO 8601, or undefined. mailparser substitutes the current time for a
 * missing or unreadable date, which would put a wrong time on the transcript.
 */
function headerDate(mail: ParsedMail): string | undefined {
  const line = mail.headerLines.find((h) => h.key === 'date')?.line;
  if (line === undefined) return undefined;
  const raw = line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
  if (Number.isNaN(Date.parse(raw)) || !mail.date || Number.isNaN(mail.date.getTime()))
    return undefined;
  return mail.date.toISOString();
}

/** Whether HTML shows anything: text other than white space, or an image. */
function hasVisibleHtml(html: string): boolean {
  return /<img\b/i.test(html) || htmlToText(html).trim() !== '';
}
