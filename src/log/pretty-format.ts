import winston from 'winston';
import type { Logform } from 'winston';

/** `log.console`: compact lines for a person at a terminal, or the ECS JSON lines. */
export type ConsoleMode = 'pretty' | 'json';

const MESSAGE = Symbol.for('message');

/**
 * One compact line for a person watching the daemon:
 * `10:00:03 info  delivery.succeeded success item=0123456789ab file=x.json attempt=2 message`.
 * Every value is escaped (`\n` → `\\n`, other control characters as `\xNN`/`\uNNNN`), so a
 * subject or file name cannot forge a second line or send terminal escape sequences.
 */
export function prettyLine(info: Record<string | symbol, unknown>, utc = false): string {
  const get = (path: string) => field(info, path);
  const ts = get('@timestamp') ?? get('timestamp');
  const level = String(get('log.level') ?? get('level') ?? 'info');
  const parts = [clock(ts, utc), level.padEnd(5)];
  const action = get('event.action');
  if (action !== undefined) parts.push(escape(String(action)));
  const outcome = get('event.outcome');
  if (outcome !== undefined) parts.push(escape(String(outcome)));

  const id = get('imspooler.item.id');
  if (id !== undefined) parts.push(`item=${quote(String(id).slice(0, 12))}`);
  const file = get('file.path');
  if (file !== undefined) parts.push(`file=${quote(baseName(String(file)))}`);
  const attempt = get('imspooler.attempt');
  if (attempt !== undefined) parts.push(`attempt=${quote(String(attempt))}`);
  const code = get('error.code');
  if (code !== undefined) parts.push(`error=${quote(String(code))}`);
  const next = get('imspooler.next_attempt_at');
  if (next !== undefined) parts.push(`next=${clock(next, utc)}`);

  const message = get('message');
  if (message !== undefined && message !== '') parts.push(escape(String(message)));
  return parts.join(' ');
}

/** The winston format behind `log.console: "pretty"`. */
export const prettyFormat = winston.format((info, opts?: unknown) => {
  const utc = (opts as { utc?: boolean } | undefined)?.utc === true;
  (info as Record<symbol, unknown>)[MESSAGE] = prettyLine(
    info as unknown as Record<string | symbol, unknown>,
    utc,
  );
  return info;
});

/**
 * The console transport's format. Pretty only when asked for AND stdout is a terminal: anything
 * else (a service manager, a pipe, a collector) gets the contract's one JSON line per outcome.
 */
export function consoleFormatFor(mode: ConsoleMode, isTTY: boolean): Logform.Format {
  if (mode === 'pretty' && isTTY) return prettyFormat();
  // The logger's ECS format has already written the JSON line: pass it through untouched.
  return winston.format((info) => info)();
}

/** A value by dotted ECS path: flat (`log.level`) as ecs-winston-format writes some, else nested. */
function field(info: Record<string | symbol, unknown>, path: string): unknown {
  if (info[path] !== undefined) return info[path];
  let cur: unknown = info;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function clock(value: unknown, utc: boolean): string {
  const d = typeof value === 'string' || typeof value === 'number' ? new Date(value) : new Date();
  if (Number.isNaN(d.getTime())) return escape(String(value));
  const two = (n: number) => String(n).padStart(2, '0');
  return utc
    ? `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
    : `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Control characters (C0, DEL, C1, line/paragraph separators) as visible escapes. Backslashes stay
 * as they are: `CONTOSO\bob` and Windows paths remain readable, and a backslash cannot break a line.
 */
export function escape(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

/** The last segment of a POSIX or Windows path, whatever platform renders it. */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** A `key=value` value; quoted when it holds spaces, quotes or `=`, so fields cannot be faked. */
function quote(value: string): string {
  const v = escape(value);
  return /[\s"=]/.test(v) || v === '' ? `"${v.replace(/"/g, '\\"')}"` : v;
}
