/** Tags after which a reader sees a new line. */
const LINE_BREAKS = new Set(['br', 'p', 'div', 'li', 'tr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
/** Tags whose content is never shown. */
const HIDDEN = new Set(['script', 'style', 'head', 'title', 'template']);
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};
const SPECIAL = /[<&]/g;
const TAG_NAME = /^\/?([a-zA-Z][a-zA-Z0-9]*)/;
const ENTITY = /^&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,6});/i;

/**
 * The text a reader of `html` would see, with line breaks where block elements and `<br>` end.
 * A single linear pass (no backtracking regular expressions), so a hostile 10 MiB body stays cheap;
 * `maxChars` stops early when only the beginning is needed.
 */
export function htmlToText(html: string, maxChars = Number.POSITIVE_INFINITY): string {
  let out = '';
  let i = 0;
  const n = html.length;
  while (i < n && out.length < maxChars) {
    SPECIAL.lastIndex = i;
    const m = SPECIAL.exec(html);
    const next = m ? m.index : n;
    out += html.slice(i, next);
    i = next;
    if (i >= n) break;
    if (html[i] === '&') {
      const ent = ENTITY.exec(html.slice(i, i + 12));
      if (ent) {
        out += decodeEntity(ent[1] ?? '') ?? ent[0];
        i += ent[0].length;
      } else {
        out += '&';
        i++;
      }
      continue;
    }
    const end = html.indexOf('>', i + 1);
    // An unterminated tag hides the rest of the document from a browser too.
    if (end < 0) break;
    const tag = html.slice(i + 1, Math.min(end, i + 64));
    const name = TAG_NAME.exec(tag)?.[1]?.toLowerCase() ?? '';
    i = end + 1;
    if (!tag.startsWith('/') && HIDDEN.has(name)) {
      const close = new RegExp(`</${name}\\s*>`, 'gi');
      close.lastIndex = i;
      const c = close.exec(html);
      i = c ? c.index + c[0].length : n;
    } else if (LINE_BREAKS.has(name)) {
      out += '\n';
    }
  }
  return out.length > maxChars ? out.slice(0, maxChars) : out;
}

function decodeEntity(body: string): string | undefined {
  if (body.startsWith('#')) {
    const code =
      body[1] === 'x' || body[1] === 'X'
        ? parseInt(body.slice(2), 16)
        : parseInt(body.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
      ? String.fromCodePoint(code)
      : undefined;
  }
  return NAMED_ENTITIES[body.toLowerCase()];
}
