/**
 * Escapes text for XML element content. Every value we render goes into element text, never into
 * an attribute, so quotes stay as they are (readable in `service print`).
 */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
