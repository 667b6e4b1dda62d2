/**
 * File names that are not valid UTF-8 (Linux and macOS allow any bytes but `/` and NUL). Node
 * decodes such a name with U+FFFD in place of the bad bytes, and that string names no file: the
 * entry would never be taken, logged or shown. The spool folder is therefore read as bytes; a
 * name that is not UTF-8 is shown with each bad byte as `\xHH`, and the bytes are kept to reach
 * the file. Pure.
 */

const strict = new TextDecoder('utf-8', { fatal: true });

/** Whether the bytes are a valid UTF-8 name (the string form then names the same file). */
export function isUtf8Name(raw: Uint8Array): boolean {
  try {
    strict.decode(raw);
    return true;
  } catch {
    return false;
  }
}

/** Length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function sequenceAt(raw: Uint8Array, i: number): number {
  for (let n = 1; n <= 4 && i + n <= raw.length; n++) {
    try {
      strict.decode(raw.subarray(i, i + n));
      return n;
    } catch {
      // Incomplete or invalid so far: a longer sequence may still be valid.
    }
  }
  return 0;
}

/** The name as text: valid UTF-8 as it is, every byte that is not part of it as `\xHH`. */
export function displayName(raw: Uint8Array): string {
  let out = '';
  for (let i = 0; i < raw.length;) {
    const n = sequenceAt(raw, i);
    if (n === 0) {
      out += `\\x${raw[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
      i += 1;
    } else {
      out += Buffer.from(raw.subarray(i, i + n)).toString('utf8');
      i += n;
    }
  }
  return out;
}
