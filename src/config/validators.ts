/**
 * A small toolkit for validating raw config values. Every check records its problem and returns a
 * usable value anyway (the default), so one pass finds every problem rather than the first.
 */
import { isAbsolute, resolve } from 'node:path';
import type { ConfigProblem } from '../errors/errors.js';
import { formatByteSize, parseByteSize } from './byte-size.js';
import { formatDuration, parseDuration } from './duration.js';
import { closest } from './suggest.js';
import { redactUrlCredentials, urlCredentials } from './url-credentials.js';

/** The problems found so far, in the order the keys were visited. */
export class Problems {
  readonly list: ConfigProblem[] = [];
  add(key: string, message: string): void {
    this.list.push({ key, message });
  }
  /** `<value> is not allowed; expected <expected>`: the standard form of a bad value. */
  bad(key: string, value: unknown, expected: string): void {
    this.add(key, `${show(value)} is not allowed; expected ${expected}`);
  }
}

/** `delivery` + `ews` -> `delivery.ews`. */
export const child = (parent: string, key: string): string => (parent ? `${parent}.${key}` : key);

/**
 * A value as a user would recognise it in the file: JSON, shortened, with any credential inside a
 * URL masked (before shortening, which could cut the `@` that marks one).
 */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  text = redactUrlCredentials(text);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Refuses a URL that carries a credential (user information, or a query parameter such as
 * `password` or `access_token`), naming what it carries but never repeating it. True when refused.
 */
export function refuseUrlCredentials(
  p: Problems,
  key: string,
  value: string,
  where: string,
): boolean {
  const found = urlCredentials(value);
  if (found.length === 0) return false;
  p.add(key, `must not carry a credential (it holds ${found.join(' and ')}); ${where}`);
  return true;
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The object at `key` with its unknown keys reported. A missing section is an empty object, so
 * that all of its defaults apply; a section of the wrong type is reported and treated as empty.
 */
export function section(
  p: Problems,
  key: string,
  value: unknown,
  allowed: readonly string[],
  describe: (unknownKey: string) => string | undefined = () => undefined,
): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    p.bad(key || '(top level)', value, `an object with the keys ${allowed.join(', ')}`);
    return {};
  }
  for (const name of Object.keys(value)) {
    if (allowed.includes(name)) continue;
    const special = describe(name);
    if (special !== undefined) {
      p.add(child(key, name), special);
      continue;
    }
    const guess = closest(name, allowed);
    const hint = guess ? `did you mean "${child(key, guess)}"? ` : '';
    p.add(child(key, name), `unknown key; ${hint}allowed here: ${allowed.join(', ')}`);
  }
  return value;
}

interface Range {
  min: number;
  max: number;
}

/** How a measured value (a duration, a size) is read, shown, and described to the user. */
interface Measure {
  parse: (value: unknown) => number | undefined;
  format: (n: number) => string;
  noun: string;
  forms: string;
}

const DURATION: Measure = {
  parse: parseDuration,
  format: formatDuration,
  noun: 'a duration',
  forms: 'seconds as a number, or a string such as "500ms", "30s", "2m", "72h"',
};
const SIZE: Measure = {
  parse: parseByteSize,
  format: formatByteSize,
  noun: 'a size',
  forms: 'bytes as a whole number, or a string such as "512KiB", "10MiB"',
};

function measured(
  m: Measure,
  p: Problems,
  key: string,
  value: unknown,
  fallback: number,
  range: Range,
): number {
  if (value === undefined) return fallback;
  const n = m.parse(value);
  if (n === undefined || n < range.min || n > range.max) {
    p.bad(
      key,
      value,
      `${m.noun} from ${m.format(range.min)} to ${m.format(range.max)}: ${m.forms}`,
    );
    return fallback;
  }
  return n;
}

/** A duration in milliseconds within [min, max]. */
export const duration = (
  p: Problems,
  key: string,
  value: unknown,
  fallback: number,
  range: Range,
): number => measured(DURATION, p, key, value, fallback, range);

/** A size in bytes within [min, max]. */
export const byteSize = (
  p: Problems,
  key: string,
  value: unknown,
  fallback: number,
  range: Range,
): number => measured(SIZE, p, key, value, fallback, range);

/** A whole number within [min, max]. */
export function integer(
  p: Problems,
  key: string,
  value: unknown,
  fallback: number,
  range: Range,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < range.min ||
    value > range.max
  ) {
    p.bad(key, value, `an integer from ${range.min} to ${range.max}`);
    return fallback;
  }
  return value;
}

/** One of a fixed set of strings (exact case, as the docs spell them). */
export function oneOf<T extends string>(
  p: Problems,
  key: string,
  value: unknown,
  fallback: T,
  allowed: readonly T[],
): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
    return value as T;
  const guess = typeof value === 'string' ? closest(value, allowed) : undefined;
  const hint = guess ? ` (did you mean "${guess}"?)` : '';
  p.bad(key, value, `one of ${allowed.map((a) => `"${a}"`).join(', ')}${hint}`);
  return fallback;
}

export function boolean(p: Problems, key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  p.bad(key, value, 'true or false');
  return fallback;
}

/** A non-empty string, or undefined when absent (the caller decides whether it is required). */
export function text(
  p: Problems,
  key: string,
  value: unknown,
  expected = 'a non-empty string',
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '' && !value.includes('\0')) return value;
  // A NUL passes JSON but no file name, command line or HTTP header takes it.
  p.bad(key, value, typeof value === 'string' && value.includes('\0') ? `${expected}, without NUL characters (\\u0000)` : expected); // prettier-ignore
  return undefined;
}

/** Reports a key that must be present. */
export function required(p: Problems, key: string, why: string, expected: string): void {
  p.add(key, `is required ${why}; expected ${expected}`);
}

/** A path resolved against the config file's folder. `~` is not a shell here, so it is refused. */
export function path(
  p: Problems,
  key: string,
  value: unknown,
  fallback: string,
  baseDir: string,
): string {
  const given = text(
    p,
    key,
    value,
    'a folder or file path (absolute, or relative to the config file)',
  );
  if (given === undefined) return fallback;
  return resolvePath(p, key, given, baseDir) ?? fallback;
}

export function resolvePath(
  p: Problems,
  key: string,
  given: string,
  baseDir: string,
): string | undefined {
  if (given === '~' || given.startsWith('~/') || given.startsWith('~\\')) {
    p.bad(key, given, 'an absolute path or one relative to the config file ("~" is not expanded)');
    return undefined;
  }
  // No file system takes a NUL in a name; Node would refuse it later, in its own words.
  if (given.includes('\0')) {
    p.bad(key, given, 'a path without NUL characters (\\u0000)');
    return undefined;
  }
  return isAbsolute(given) ? resolve(given) : resolve(baseDir, given);
}
