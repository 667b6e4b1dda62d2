/**
 * Environment overrides: `IMSPOOLER__` + the key path, segments joined by `__`, each camelCase
 * segment in UPPER_SNAKE (`IMSPOOLER__DELIVERY__EWS__URL` sets `delivery.ews.url`). Values are
 * JSON where they parse (`4`, `true`, `null`, `["a","b"]`), else plain strings. Pure: the caller
 * passes the environment.
 */
import type { ConfigProblem } from '../errors/errors.js';
import { KEY_TREE, toUpperSnake, type KeyTree } from './key-tree.js';
import { closest } from './suggest.js';
import { isPlainObject } from './validators.js';

export const ENV_PREFIX = 'IMSPOOLER__';

/** One override that was applied: which variable set which dotted key. */
export interface AppliedOverride {
  variable: string;
  key: string;
}

export interface EnvOverrideResult {
  /** A copy of the raw config with the overrides applied (the input is not changed). */
  value: Record<string, unknown>;
  /** Variables that name no config key; each problem's `key` is the variable's name. */
  problems: ConfigProblem[];
  applied: AppliedOverride[];
}

/** `delivery.ews.url` -> `IMSPOOLER__DELIVERY__EWS__URL`. */
export const envVarFor = (key: string): string =>
  ENV_PREFIX + key.split('.').map(toUpperSnake).join('__');

/** Applies every `IMSPOOLER__*` variable to a copy of `raw`. */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
): EnvOverrideResult {
  const value = structuredClone(raw);
  const problems: ConfigProblem[] = [];
  const applied: AppliedOverride[] = [];
  const overrides = Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    // Windows treats variable names case-insensitively, so the prefix is matched that way too.
    .filter(([name]) => name.toUpperCase().startsWith(ENV_PREFIX))
    .map(([variable, text]) => ({
      variable,
      text,
      found: lookup(variable.slice(ENV_PREFIX.length)),
    }))
    // Shallow before deep, so `…__AUTH='{…}'` and `…__AUTH__USERNAME=x` together mean "this object, with this username".
    .sort((a, b) => depth(a.found) - depth(b.found) || a.variable.localeCompare(b.variable));

  for (const { variable, text, found } of overrides) {
    if ('problem' in found) {
      problems.push({ key: variable, message: found.problem });
      continue;
    }
    setPath(value, found.path, parseValue(text));
    applied.push({ variable, key: found.path.join('.') });
  }
  return { value, problems, applied };
}

type Lookup = { path: string[] } | { problem: string };

const depth = (found: Lookup): number => ('path' in found ? found.path.length : 0);

/** Maps `DELIVERY__EWS__URL` to `['delivery', 'ews', 'url']` by the known key tree. */
function lookup(rest: string): Lookup {
  const segments = rest.split('__');
  const path: string[] = [];
  let node: KeyTree | true = KEY_TREE;
  for (const segment of segments) {
    const where = path.length ? `under "${path.join('.')}"` : 'at the top level';
    if (segment === '')
      return {
        problem:
          'is not a config override: empty key segment (segments are joined by exactly two underscores)',
      };
    if (node === true)
      return { problem: `names no config key: "${path.join('.')}" has no keys below it` };
    const keys = Object.keys(node);
    const key = keys.find((k) => toUpperSnake(k) === segment.toUpperCase());
    if (key === undefined) {
      const upper = segment.toUpperCase();
      if (upper === 'PASSWORD' || upper === 'TOKEN') {
        return {
          problem:
            'secrets are not config keys; put the secret in a variable of your choosing and name that variable in delivery.ews.auth.passwordEnv (or tokenEnv)',
        };
      }
      const guess = closest(upper, keys.map(toUpperSnake));
      const hint = guess
        ? `did you mean ${envVarFor([...path, keys.find((k) => toUpperSnake(k) === guess) ?? guess].join('.'))}? `
        : '';
      return {
        problem: `names no config key ("${segment}" is unknown ${where}); ${hint}known here: ${keys.map(toUpperSnake).join(', ')}`,
      };
    }
    path.push(key);
    node = node[key] as KeyTree | true;
  }
  return { path };
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  path.slice(0, -1).forEach((key) => {
    const next = node[key];
    if (isPlainObject(next)) {
      node = next;
    } else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  });
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}
