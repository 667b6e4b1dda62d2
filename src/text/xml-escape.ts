/**
 * XML escaping, one set of rules for everything imspooler writes as XML: the EWS requests, the
 * service definitions, and the sandbox's Exchange-shaped answers.
 */
/**
 * Characters XML 1.0 forbids anywhere in a document: C0 controls other than tab, LF and CR,
 * U+FFFE/U+FFFF, and UTF-16 surrogates that are not part of a pair. Escaping cannot represent
 * them (`&#1;` is just as illegal), so they are dropped.
 */
const ILLEGAL_XML_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Removes the characters XML 1.0 cannot carry, leaving everything else (including non-ASCII). */
export function stripIllegalXmlChars(s: string): string {
  return s.replace(ILLEGAL_XML_CHARS, '');
}

/**
 * Makes a string safe as XML text or as a (double- or single-quoted) attribute value: escapes
 * `& < > " '` and drops characters XML 1.0 forbids.
 *
 * ews-javascript-api 0.15.3 writes every value verbatim, so the transport passes each value through
 * this exactly once; escaping twice would show `&amp;` to the recipient.
 */
export function xmlEscape(s: string): string {
  return stripIllegalXmlChars(s).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * Makes a string safe as XML element text only: escapes `& < >` and drops characters XML 1.0
 * forbids, leaving quotes as they are. For documents a person reads (`service print`: the
 * Scheduled Task and LaunchAgent files), where every value is element text.
 */
export function xmlEscapeText(s: string): string {
  return stripIllegalXmlChars(s).replace(/[&<>]/g, (c) => ENTITIES[c] ?? c);
}
