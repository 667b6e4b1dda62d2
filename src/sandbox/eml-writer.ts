/**
 * The sandbox's delivered messages as RFC 5322 text, and the reverse for the sandbox's own files
 * (so a restarted sandbox knows its earlier saved copies). Pure.
 */

/** What one delivered message carries into its .eml file. */
export interface EmlMessage {
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  itemClass: string;
  /** `HTML` or `Text` (EWS BodyType). */
  bodyType: string;
  body: string;
  date: Date;
  /** Without angle brackets. */
  messageId: string;
  /** InternetHeaders extended properties, written as headers (e.g. `X-IMSpooler-Item-Id`). */
  internetHeaders: Record<string, string>;
  /** Distinguished folder of the saved copy; absent for SendOnly (no copy kept). */
  folder: string | undefined;
  /** `PR_MESSAGE_FLAGS` of an item saved, not sent (a Conversation History item). */
  messageFlags?: string;
  /** `PR_CLIENT_SUBMIT_TIME` of such an item (`Date` is its delivery time). */
  clientSubmitTime?: Date;
}

/** Header carrying the EWS item class, so tests and people can check it. */
export const ITEM_CLASS_HEADER = 'X-Item-Class';
/** Header recording where the saved copy lives (sandbox bookkeeping). */
export const FOLDER_HEADER = 'X-IMSpooler-Sandbox-Folder';
/** Headers carrying a saved item's `PR_MESSAGE_FLAGS` and `PR_CLIENT_SUBMIT_TIME`. */
export const MESSAGE_FLAGS_HEADER = 'X-Message-Flags';
export const SUBMIT_TIME_HEADER = 'X-Client-Submit-Time';

const CRLF = '\r\n';
const HEADER_NAME = /^[!-9;-~]+$/;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/** RFC 5322 date-time in UTC, e.g. `Tue, 24 Nov 2026 09:58:03 +0000`. */
export function rfc5322Date(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

// Header values never carry line breaks: a value with CR/LF would inject headers.
const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');

/** UTF-8 bytes that fit one encoded word within `room` characters (`=?UTF-8?B?` + `?=` = 12). */
const wordBytes = (room: number): number => Math.max(3, Math.floor((room - 12) / 4) * 3);

/**
 * RFC 2047 `B` encoded words for non-ASCII text, split on character boundaries so that every
 * line stays within 78 characters (the first after `prefixLength` characters of `Name: `);
 * folded onto continuation lines.
 */
export function encodeHeaderValue(value: string, prefixLength = 9): string {
  const flat = oneLine(value);
  // Plain ASCII stays as is, unless it looks like an encoded word and would be misread as one.
  if (/^[\x20-\x7e]*$/.test(flat) && !flat.includes('=?')) return flat;
  const words: string[] = [];
  let chunk = '';
  let budget = wordBytes(78 - prefixLength);
  for (const ch of flat) {
    if (chunk && Buffer.byteLength(chunk + ch) > budget) {
      words.push(chunk);
      chunk = '';
      budget = wordBytes(77);
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join(`${CRLF} `);
}

const base64Lines = (s: string): string =>
  (
    Buffer.from(s, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join(CRLF);

/** The complete .eml text (CRLF line ends, body base64 in UTF-8). */
export function buildEml(m: EmlMessage): string {
  const headers: Array<[string, string]> = [
    ['From', oneLine(m.from)],
    ['To', m.to.length ? oneLine(m.to.join(', ')) : 'undisclosed-recipients:;'],
  ];
  if (m.cc.length) headers.push(['Cc', oneLine(m.cc.join(', '))]);
  headers.push(
    ['Subject', encodeHeaderValue(m.subject, 'Subject: '.length)],
    ['Date', rfc5322Date(m.date)],
    ['Message-ID', `<${oneLine(m.messageId)}>`],
    ['MIME-Version', '1.0'],
  );
  for (const [name, value] of Object.entries(m.internetHeaders)) {
    if (HEADER_NAME.test(name)) headers.push([name, encodeHeaderValue(value, name.length + 2)]);
  }
  headers.push([ITEM_CLASS_HEADER, oneLine(m.itemClass)]);
  if (m.messageFlags !== undefined) headers.push([MESSAGE_FLAGS_HEADER, oneLine(m.messageFlags)]);
  if (m.clientSubmitTime) headers.push([SUBMIT_TIME_HEADER, rfc5322Date(m.clientSubmitTime)]);
  if (m.folder !== undefined) headers.push([FOLDER_HEADER, oneLine(m.folder)]);
  const type = m.bodyType === 'HTML' ? 'text/html' : 'text/plain';
  headers.push(['Content-Type', `${type}; charset=utf-8`], ['Content-Transfer-Encoding', 'base64']);
  return (
    headers.map(([k, v]) => `${k}: ${v}`).join(CRLF) + CRLF + CRLF + base64Lines(m.body) + CRLF
  );
}

function decodeWords(value: string): string {
  // Whitespace between adjacent encoded words is not part of the text (RFC 2047 section 6.2).
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/gi, (_w, b64: string) =>
      Buffer.from(b64, 'base64').toString('utf8'),
    );
}

/**
 * Reads back a file this module wrote. Header names are lowercased; returns undefined for text
 * that is not such a file (no header/body separator).
 */
export function parseEml(
  text: string,
): { headers: Record<string, string>; body: string; bodyType: string } | undefined {
  const sep = text.indexOf(CRLF + CRLF);
  if (sep < 0) return undefined;
  const headers: Record<string, string> = {};
  for (const line of text
    .slice(0, sep)
    .replace(/\r\n[ \t]/g, ' ')
    .split(CRLF)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(
        line.slice(colon + 1).trim(),
      );
  }
  const raw = text.slice(sep + 4);
  const body =
    headers['content-transfer-encoding']?.toLowerCase() === 'base64'
      ? Buffer.from(raw.replace(/\s+/g, ''), 'base64').toString('utf8')
      : raw;
  const bodyType = headers['content-type']?.startsWith('text/html') ? 'HTML' : 'Text';
  return { headers, body, bodyType };
}
