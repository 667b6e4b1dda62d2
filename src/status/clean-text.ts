/**
 * Pure: control characters (C0, DEL, C1) in a subject, address or file name replaced by `?`, so
 * text from a spool file can't move the cursor or recolour an operator's terminal.
 */
export function cleanText(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
