/**
 * Pure text for a terminal: the tables `status`, `history` and `drafts` print. Text from a spool
 * file or a mailbox (a subject, an address, a file name) is cleaned of control characters and cut
 * to its column.
 */

/**
 * Control characters (C0, DEL, C1) replaced by `replacement` (`?` unless told), so text from a
 * spool file or a mailbox can't move the cursor or recolour an operator's terminal.
 */
export function cleanText(s: string, replacement = '?'): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, replacement);
}

/** At most `n` characters, the last one `…` when something was cut: keeps the start. */
export const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** At most `n` characters, keeping the end, where a file name is: `…ffline-0001.json`. */
export const cutLeft = (s: string, n: number): string =>
  s.length > n ? `…${s.slice(s.length - n + 1)}` : s;
