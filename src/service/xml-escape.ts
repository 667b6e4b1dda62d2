/**
 * Escapes text for an XML element or a double-quoted attribute. Quotes are escaped too so the same
 * function is safe in both places.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
