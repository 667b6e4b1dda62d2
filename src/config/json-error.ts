/**
 * Where a JSON text first goes wrong, as line and column. Node 20's `JSON.parse` does not always
 * say (and when it does, only as a character offset, and sometimes with a snippet of the file that
 * could hold a secret), so this small scanner finds the spot itself.
 */

export interface JsonErrorLocation {
  line: number;
  column: number;
  /** What was found there, without quoting the text around it. */
  reason: string;
}

/** The location of the first syntax error, or undefined when the text is valid JSON. */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.value();
    scanner.ws();
    if (scanner.at < text.length) scanner.fail('unexpected text after the end of the document');
    return undefined;
  } catch (error) {
    if (!(error instanceof SyntaxFound)) throw error;
    return { ...lineColumn(text, error.offset), reason: error.reason };
  }
}

class SyntaxFound {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1] ?? '').length + 1 };
}

/** The scanner recurses per level: past this, it reports the depth rather than overflow the stack. */
const MAX_SCAN_DEPTH = 1000;

class Scanner {
  at = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  fail(reason?: string): never {
    const ch = this.text[this.at];
    const found = ch === undefined ? 'unexpected end of file' : `unexpected ${describe(ch)}`;
    throw new SyntaxFound(this.at, reason ?? found);
  }

  ws(): void {
    while (/[ \t\n\r]/.test(this.text[this.at] ?? '')) this.at++;
  }

  value(): void {
    this.ws();
    const ch = this.text[this.at];
    if (ch === '{' || ch === '[') {
      if (++this.depth > MAX_SCAN_DEPTH)
        this.fail(`nested more than ${MAX_SCAN_DEPTH} levels deep`);
      if (ch === '{') this.object();
      else this.array();
      this.depth--;
      return;
    }
    if (ch === '"') return this.string();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return;
      }
    }
    this.fail();
  }

  private object(): void {
    this.at++;
    this.ws();
    if (this.text[this.at] === '}') return void this.at++;
    for (;;) {
      this.ws();
      if (this.text[this.at] !== '"')
        this.fail(this.text[this.at] === '}' ? 'trailing comma before "}"' : undefined);
      this.string();
      this.ws();
      if (this.text[this.at] !== ':') this.fail();
      this.at++;
      this.value();
      this.ws();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      if (this.text[this.at] === '}') return void this.at++;
      this.fail(this.text[this.at] === '"' ? 'missing comma before this key' : undefined);
    }
  }

  private array(): void {
    this.at++;
    this.ws();
    if (this.text[this.at] === ']') return void this.at++;
    for (;;) {
      this.ws();
      if (this.text[this.at] === ']') this.fail('trailing comma before "]"');
      this.value();
      this.ws();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      if (this.text[this.at] === ']') return void this.at++;
      this.fail();
    }
  }

  private string(): void {
    this.at++;
    for (;;) {
      const ch = this.text[this.at];
      if (ch === undefined) this.fail('unterminated string');
      if (ch === '"') return void this.at++;
      if (ch < ' ') this.fail('control character in a string (write \\n, \\t...)');
      if (ch === '\\') {
        const next = this.text[this.at + 1] ?? '';
        if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at + 2, this.at + 6))) {
          this.at += 6;
          continue;
        }
        // The usual culprit: a Windows path written with single backslashes.
        if (!'"\\/bfnrt'.includes(next) || next === '')
          this.fail('invalid escape in a string (write a backslash as \\\\)');
        this.at += 2;
        continue;
      }
      this.at++;
    }
  }

  private number(): void {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.at));
    if (!match) this.fail();
    this.at += match[0].length;
  }
}

function describe(ch: string): string {
  if (ch === '\ufeff') return 'byte order mark';
  if (/[\x21-\x7e]/.test(ch)) return `character "${ch}"`;
  return `character U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
