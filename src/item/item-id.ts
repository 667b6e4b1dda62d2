import { createHash } from 'node:crypto';

/**
 * The ID of a spool item: lowercase hex SHA-256 of the file's bytes. Derived from content only, so
 * it is stable across restarts and renames, and the same content dropped twice is one item.
 */
export function itemIdFor(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const ID_PREFIX = /^[0-9a-f]{8,64}$/;

/** Whether `s` can name an item on the command line: 8 to 64 lowercase hex characters. */
export function isValidIdPrefix(s: string): boolean {
  return ID_PREFIX.test(s);
}
