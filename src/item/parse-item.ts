import { isUtf8 } from 'node:buffer';
import { itemIdFor } from './item-id.js';
import { fail } from './parse-common.js';
import { jsonParser } from './parse-json.js';
import { mimeParser } from './parse-mime.js';
import type { ParseResult, SpoolParser } from './spool-item.js';

/**
 * The spool formats, tried in this order by `detect()`; the first that claims a file parses it.
 * Adding a format is one line here (and its name in `SpoolItem['format']`).
 */
export const spoolParsers: readonly SpoolParser[] = [jsonParser, mimeParser];

/** Options of {@link parseSpoolItem}. */
export interface ParseSpoolItemOptions {
  /** Files larger than this many bytes are rejected with `TooLarge` before anything is parsed. */
  maxBytes: number;
  /** The formats to try; {@link spoolParsers} when not given. */
  parsers?: readonly SpoolParser[];
}

/**
 * Parses the bytes of one spool file. Never throws and never rejects: every problem is a failure
 * with a PascalCase `code` (`Empty`, `TooLarge`, `Binary`, `UnrecognisedFormat`, or the format's
 * own such as `InvalidJson`, `NoRecipients`, `InvalidMime`) and a message naming what is wrong
 * without quoting the body. On success `item.id` is {@link itemIdFor} the bytes.
 */
export async function parseSpoolItem(
  bytes: Buffer,
  opts: ParseSpoolItemOptions,
): Promise<ParseResult> {
  try {
    if (bytes.length > opts.maxBytes) {
      return fail(
        'TooLarge',
        `the file is ${bytes.length} bytes, over the ${opts.maxBytes}-byte limit (spool.maxBytes)`,
      );
    }
    if (isBlank(bytes)) return fail('Empty', 'the file is empty or holds only white space');
    const parser = (opts.parsers ?? spoolParsers).find((p) => safeDetect(p, bytes));
    if (parser === undefined) {
      if (bytes.includes(0) || !isUtf8(bytes)) {
        return fail(
          'Binary',
          'the file holds binary data (NUL bytes or invalid UTF-8), not a JSON or MIME spool item',
        );
      }
      return fail(
        'UnrecognisedFormat',
        'the file is neither a JSON object nor a MIME message (see docs/spool-formats.md)',
      );
    }
    let r: Awaited<ReturnType<SpoolParser['parse']>>;
    // Recognised, so `show` can say what the quarantined file looked like.
    const format = parser.format;
    try {
      r = await parser.parse(bytes);
    } catch (e) {
      return {
        ...fail(
          invalidCode(parser),
          `the ${format.toUpperCase()} parser failed: ${describeError(e)}`,
        ),
        format,
      };
    }
    if (!r.ok) return { ...fail(r.code, r.message), format };
    return { ok: true, item: { id: itemIdFor(bytes), ...r.item } };
  } catch (e) {
    return fail('ParseError', `the file could not be parsed: ${describeError(e)}`);
  }
}

function safeDetect(p: SpoolParser, bytes: Buffer): boolean {
  try {
    return p.detect(bytes);
  } catch {
    return false;
  }
}

/** `InvalidJson`, `InvalidMime`, ...: a parser's catch-all code, derived from its format name. */
function invalidCode(p: SpoolParser): string {
  const f = p.format;
  return `Invalid${f.charAt(0).toUpperCase()}${f.slice(1)}`;
}

/** An exception as a short line: its class and message, never a stack, cut to a readable length. */
function describeError(e: unknown): string {
  const s = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function isBlank(bytes: Buffer): boolean {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  for (let i = start; i < bytes.length; i++) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}
