import { ITEM_KINDS, type ItemKind, type ParseFailure, type SpoolParser } from './spool-item.js';

/** What a {@link SpoolParser} resolves with. */
export type ParserOutcome = Awaited<ReturnType<SpoolParser['parse']>>;

/** A failed parse with its code and actionable message. */
export function fail(code: string, message: string): { ok: false } & ParseFailure {
  return { ok: false, code, message };
}

/** Names a JSON value's type for an error message, without showing the value. */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

/**
 * Quotes a short non-body value (an address, a time) for an error message, cut so that a huge
 * value cannot flood the log.
 */
export function quoteValue(s: string, max = 80): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The bytes without a leading UTF-8 byte order mark. */
export function stripUtf8Bom(bytes: Buffer): Buffer {
  return bytes.subarray(0, 3).equals(BOM) ? bytes.subarray(3) : bytes;
}

/**
 * Offset of the first byte that breaks UTF-8 (overlong forms, surrogates and values past U+10FFFF
 * included), or -1. Slower than `buffer.isUtf8`: call it only to explain a failure.
 */
export function firstInvalidUtf8Offset(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i] ?? 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) need = 2;
    else if (c >= 0xf0 && c <= 0xf4) need = 3;
    else return i;
    if (i + need >= n) return i;
    for (let k = 1; k <= need; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    const c1 = b[i + 1] ?? 0;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return i;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i;
    i += need + 1;
  }
  return -1;
}

/** `cc` without the addresses already in `to` (case-insensitive): each recipient gets one copy. */
export function ccWithoutTo(to: readonly string[], cc: readonly string[]): string[] {
  const toKeys = new Set(to.map((a) => a.toLowerCase()));
  return cc.filter((a) => !toKeys.has(a.toLowerCase()));
}

/**
 * The item kind a file names (`where` says where, e.g. `"kind"` or `the X-IMSpooler-Kind
 * header`), or why it cannot be used. Absent means `offline-im`, as before kinds existed.
 */
export function checkKind(
  v: string | undefined,
  where: string,
): ItemKind | ({ ok: false } & ParseFailure) {
  if (v === undefined) return 'offline-im';
  const kind = ITEM_KINDS.find((k) => k === v);
  if (kind) return kind;
  return fail(
    'InvalidKind',
    `${where} is ${quoteValue(v)}; it must be ${ITEM_KINDS.map((k) => `"${k}"`).join(' or ')} (or left out for "offline-im")`,
  );
}
