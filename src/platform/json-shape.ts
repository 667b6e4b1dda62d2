/**
 * Checks JSON that comes from outside the program (files on disk, queue rows, HTTP bodies, the
 * lock's hello line) against the shape the code expects, instead of casting it. A check returns
 * the value typed, or throws a {@link JsonShapeError} that names the source and the field, so a
 * damaged daemon.json says `daemon.json: pid is "x", expected an integer`, not a TypeError later.
 * Pure: no I/O; the callers read the text and decide what a bad value means for them.
 */
import { ImspoolerError, isImspoolerError } from '../errors/errors.js';

/** A JSON value from `source` was not what was expected. */
export class JsonShapeError extends ImspoolerError {
  readonly code = 'BadJson';
  constructor(message: string) {
    super(message);
    this.name = 'JsonShapeError';
  }
}
export const isJsonShapeError = (e: unknown): e is JsonShapeError =>
  isImspoolerError(e) && e.code === 'BadJson';

/** Checks `value` (found at `field`, '' for the top level) and returns it typed, or throws. */
export type Shape<T> = (value: unknown, field: string) => T;

const describe = (value: unknown): string => {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return `${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
};
const fail = (field: string, value: unknown, expected: string): never => {
  const what = value === undefined ? `${field || 'the value'} is missing` : `${field || 'the value'} is ${describe(value)}`; // prettier-ignore
  throw new JsonShapeError(`${what}, expected ${expected}`);
};
const at = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const str: Shape<string> = (v, f) => (typeof v === 'string' ? v : fail(f, v, 'a string'));
export const bool: Shape<boolean> = (v, f) =>
  typeof v === 'boolean' ? v : fail(f, v, 'true or false');
export const int: Shape<number> = (v, f) =>
  Number.isInteger(v) ? (v as number) : fail(f, v, 'an integer');
/** Any JSON value, checked by the code that uses it. */
export const anything: Shape<unknown> = (v) => v;

/** One of a few literal values. */
export const oneOf =
  <const L extends readonly (string | number)[]>(...values: L): Shape<L[number]> =>
  (v, f) =>
    values.includes(v as L[number]) ? (v as L[number]) : fail(f, v, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`); // prettier-ignore

/** The value, or undefined when the key is absent (or null, as older writers left it). */
export const optional =
  <T>(shape: Shape<T>): Shape<T | undefined> =>
  (v, f) =>
    v === undefined || v === null ? undefined : shape(v, f);

export const arrayOf =
  <T>(shape: Shape<T>): Shape<T[]> =>
  (v, f) =>
    Array.isArray(v) ? v.map((x, i) => shape(x, at(f, i))) : fail(f, v, 'an array');

/** An object whose string values are all of one shape (e.g. an environment). */
export const recordOf =
  <T>(shape: Shape<T>): Shape<Record<string, T>> =>
  (v, f) => {
    if (!isPlainObject(v)) return fail(f, v, 'an object');
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x, at(f, k))]));
  };

type Fields<T> = { [K in keyof T]-?: Shape<T[K]> };

/**
 * An object with these fields. Keys the shape does not name are kept as they are (a newer writer
 * may add some); a field whose shape allows undefined is left out when absent, not set to undefined.
 */
export const object =
  <T extends object>(fields: Fields<T>): Shape<T> =>
  (v, f) => {
    if (!isPlainObject(v)) return fail(f, v, 'an object');
    const out: Record<string, unknown> = { ...v };
    for (const [key, shape] of Object.entries(fields) as [string, Shape<unknown>][]) {
      const checked = shape(v[key], at(f, key));
      if (checked === undefined) delete out[key];
      else out[key] = checked;
    }
    return out as T;
  };

/** What {@link parseJson} found: the checked value, or why not, naming `source` and the field. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Parses `text` read from `source` (a file name or `the Graph token endpoint`) and checks it.
 * Never throws: bad JSON and a bad shape are both `{ ok: false }` with a message for the user.
 */
export function parseJson<T>(text: string, source: string, shape: Shape<T>): Parsed<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `${source}: not valid JSON (${(e as Error).message})` };
  }
  return checkJson(raw, source, shape);
}

/** {@link parseJson} for a value already parsed (e.g. by an HTTP client). */
export function checkJson<T>(raw: unknown, source: string, shape: Shape<T>): Parsed<T> {
  try {
    return { ok: true, value: shape(raw, '') };
  } catch (e) {
    if (isJsonShapeError(e)) return { ok: false, message: `${source}: ${e.message}` };
    throw e;
  }
}

/** {@link parseJson}, throwing the message as a {@link JsonShapeError} when it fails. */
export function parseJsonOrThrow<T>(text: string, source: string, shape: Shape<T>): T {
  const r = parseJson(text, source, shape);
  if (!r.ok) throw new JsonShapeError(r.message);
  return r.value;
}
