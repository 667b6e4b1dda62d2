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
const ENTITY = /&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,6});/iy;

/**
 * The text a reader of `html` would see, with line breaks where block elements and `<br>` end.
 * A single linear pass (no backtracking regular expressions), so a hostile 10 MiB body stays cheap;
 * `maxChars` stops early when only the beginning is needed.
 */
export function htmlToText(html: string, maxChars = Number.POSITIVE_INFINITY): string {
  // Parts are joined once at the end: building a string one small piece at a time is slow in V8.
  const parts: string[] = [];
  let length = 0;
  let endsWithBreak = true;
  const emit = (s: string): void => {
    if (s === '') return;
    parts.push(s);
    length += s.length;
    endsWithBreak = s.charCodeAt(s.length - 1) === 0x0a;
  };
  const n = html.length;
  let run = 0; // start of the text not yet emitted
  let i = 0;
  while (i < n && length < maxChars) {
    const c = html.charCodeAt(i);
    if (c === 0x26 /* & */) {
      ENTITY.lastIndex = i;
      const ent = ENTITY.exec(html);
      const decoded = ent ? decodeEntity(ent[1] ?? '') : undefined;
      if (ent && decoded !== undefined) {
        emit(html.slice(run, i));
        emit(decoded);
        run = i + ent[0].length;
        i = run;
      } else {
        i++; // a lone or unknown `&` stays part of the text run
      }
      continue;
    }
    if (c !== 0x3c /* < */) {
      i++;
      continue;
    }
    emit(html.slice(run, i));
    const end = html.indexOf('>', i + 1);
    // An unterminated tag hides the rest of the document from a browser too.
    if (end < 0) {
      run = n;
      break;
    }
    const closing = html.charCodeAt(i + 1) === 0x2f;
    const name = tagName(html, closing ? i + 2 : i + 1, end);
    i = end + 1;
    if (!closing && HIDDEN.has(name)) {
      const close = new RegExp(`</${name}\\s*>`, 'gi');
      close.lastIndex = i;
      const m = close.exec(html);
      i = m ? m.index + m[0].length : n;
    } else if (name === 'br' || (LINE_BREAKS.has(name) && length > 0 && !endsWithBreak)) {
      // Blocks start a new line only when there is text before them; <br> always does.
      emit('\n');
    }
    run = i;
  }
  if (length < maxChars && run < n) emit(html.slice(run, Math.min(n, run + (maxChars - length))));
  const out = parts.join('');
  return out.length > maxChars ? out.slice(0, maxChars) : out;
}

/** The lowercased ASCII letters and digits of a tag name starting at `from`, before `end`. */
function tagName(html: string, from: number, end: number): string {
  let j = from;
  while (j < end && j - from < 16) {
    const c = html.charCodeAt(j) | 0x20;
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39 && j > from))) break;
    j++;
  }
  return j === from ? '' : html.slice(from, j).toLowerCase();
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
