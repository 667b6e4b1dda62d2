import { htmlToText } from './parse-html-text.js';
import type { SpoolItem, TranscriptMessage } from './spool-item.js';

/** The longest subject delivered (the EWS limit), in UTF-16 code units. */
export const MAX_SUBJECT_LENGTH = 255;
/** The subject when an item gives none and its first message has no text. */
export const DEFAULT_SUBJECT = 'Missed conversation';
/** The same for a conversation-history item (it was not missed: it happened). */
export const DEFAULT_HISTORY_SUBJECT = 'Conversation';
/** How much of a message is looked at to find its first line. */
const FIRST_LINE_WINDOW = 64 * 1024;

/** Escapes text for HTML content and attribute values: `&`, `<`, `>`, `"` and `'`. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Plain text as HTML: escaped, each line break a `<br>`. */
export function textToHtml(text: string): string {
  return escapeHtml(text).replace(/\r\n|\r|\n/g, '<br>\n');
}

/**
 * The HTML body delivered for an item. A MIME item's HTML part goes as it is, else its text
 * escaped; a JSON item becomes a transcript, each message with its time and sender, then its HTML
 * if given, else its text escaped. A conversation-history transcript names no sender: its
 * messages came from every participant, and the format does not say which. Pure: same item,
 * same HTML.
 */
export function renderTranscriptHtml(item: SpoolItem): string {
  if (item.format === 'mime') return item.messages.map(messageBody).join('\n<hr>\n');
  const sender = item.kind === 'conversation-history' ? '' : `<b>${escapeHtml(item.from)}</b>`;
  const rows = item.messages.map((m) => {
    const time = m.at
      ? `<time datetime="${escapeHtml(m.at)}">${escapeHtml(displayTime(m.at))}</time> `
      : '';
    return (
      `<div class="imspooler-message">` +
      `<p class="imspooler-meta">${time}${sender}</p>` +
      `<div class="imspooler-body">${messageBody(m)}</div>` +
      `</div>`
    );
  });
  return `<div class="imspooler-transcript">\n${rows.join('\n')}\n</div>`;
}

function messageBody(m: TranscriptMessage): string {
  return m.html ?? textToHtml(m.text ?? '');
}

/** `2026-11-24 09:58:03 UTC`: readable in any mail client without knowing the reader's zone. */
function displayTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * The subject delivered for an item: its own subject, else the first non-blank line of its first
 * message (the text, or the HTML without tags), on one line and cut to
 * {@link MAX_SUBJECT_LENGTH}; {@link DEFAULT_SUBJECT} (or {@link DEFAULT_HISTORY_SUBJECT}) when
 * there is nothing to take it from.
 */
export function subjectFor(item: SpoolItem): string {
  const given = oneLine(item.subject ?? '');
  if (given !== '') return cut(given);
  const first = item.messages[0];
  const source =
    first?.text !== undefined && first.text.trim() !== ''
      ? first.text.slice(0, FIRST_LINE_WINDOW)
      : htmlToText(first?.html ?? '', FIRST_LINE_WINDOW);
  const line = source
    .split(/\r\n|\r|\n/)
    .map(oneLine)
    .find((l) => l !== '');
  if (line !== undefined) return cut(line);
  return item.kind === 'conversation-history' ? DEFAULT_HISTORY_SUBJECT : DEFAULT_SUBJECT;
}

/** Control characters (line breaks included) become spaces; runs of white space one space. */
function oneLine(s: string): string {
  return s
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function cut(s: string): string {
  if (s.length <= MAX_SUBJECT_LENGTH) return s;
  let end = MAX_SUBJECT_LENGTH;
  const last = s.charCodeAt(end - 1);
  // Never leave half a surrogate pair at the end.
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end).trimEnd();
}
