/**
 * The pure heart of configuration: raw JSON in, a validated `Config` (durations in ms, absolute
 * paths, defaults applied) or every problem found out. No I/O: paths are resolved against the
 * `baseDir` the caller gives.
 */
import { join } from 'node:path';
import type { ConfigProblem } from '../errors/errors.js';
import type { Config } from './config-types.js';
import { formatDuration } from './duration.js';
import { KEY_TREE } from './key-tree.js';
import { nestingProblem } from './nesting.js';
import { overlapOf, platformRules, type OverlapRules } from './path-overlap.js';
import { parseEws } from './parse-ews.js';
import { parseGraph, parseRouting } from './parse-graph.js';
import { parseLog, parseMetrics } from './parse-observability.js';
import {
  Problems,
  boolean,
  byteSize,
  duration,
  integer,
  isPlainObject,
  oneOf,
  path,
  resolvePath,
  section,
  show,
} from './validators.js';

export type ParseConfigResult =
  { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

export interface ParseConfigOptions {
  /** Folder that relative paths are resolved against: the config file's folder. */
  baseDir: string;
  /** Absolute path of the file the raw value came from, recorded in `Config.configFile`. */
  configFile?: string;
  /** `stateDir` when the config has none (default: `var` in `baseDir`). */
  defaultStateDir?: string;
  /** How folders are compared (`path.win32`, case); defaults to this platform's rules. */
  pathRules?: OverlapRules;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MIB = 1024 * 1024;

const keysOf = (tree: object): string[] => Object.keys(tree);
const TRANSPORTS = ['ews', 'sandbox', 'graph', 'auto'] as const;
const DOMAIN = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;

/** Validates and resolves a raw config, reporting every problem at once. */
export function parseConfig(raw: unknown, opts: ParseConfigOptions): ParseConfigResult {
  // Checked before anything walks the value: the walks recurse, and would overflow the stack.
  const tooDeep = nestingProblem(raw);
  if (tooDeep.length > 0) return { ok: false, problems: tooDeep };
  const p = new Problems();
  const top = section(p, '', raw, keysOf(KEY_TREE));
  // Nothing else can be meaningfully checked; "url is required" would only add noise.
  if (!isPlainObject(raw)) return { ok: false, problems: p.list };
  // Visited in the order the keys are documented, so problems read top to bottom.
  const spool = parseSpool(p, top.spool, opts.baseDir);
  const stateDir = path(
    p,
    'stateDir',
    top.stateDir,
    opts.defaultStateDir ?? join(opts.baseDir, 'var'),
    opts.baseDir,
  );
  keepSpoolApart(p, top.spool, spool.paths, stateDir, opts.pathRules ?? platformRules());
  const config: Config = {
    configFile: opts.configFile,
    spool,
    stateDir,
    delivery: parseDelivery(p, top.delivery, opts.baseDir, stateDir),
    organization: parseOrganization(p, top.organization),
    retry: parseRetry(p, top.retry),
    history: parseHistory(p, top.history),
    log: parseLog(p, top.log, opts.baseDir, stateDir),
    policy: parsePolicy(p, top.policy),
    metrics: parseMetrics(p, top.metrics),
  };
  return p.list.length === 0 ? { ok: true, config } : { ok: false, problems: p.list };
}

/** Mirrors of the server's switches: when one is off, items are held, never sent, never lost. */
function parsePolicy(p: Problems, value: unknown): Config['policy'] {
  const raw = section(p, 'policy', value, keysOf(KEY_TREE.policy));
  return {
    offlineIm: boolean(p, 'policy.offlineIm', raw.offlineIm, true),
    imAutoArchiving: boolean(p, 'policy.imAutoArchiving', raw.imAutoArchiving, true),
  };
}

function parseSpool(p: Problems, value: unknown, baseDir: string): Config['spool'] {
  const raw = section(p, 'spool', value, keysOf(KEY_TREE.spool));
  return {
    paths: parseSpoolPaths(p, 'spool.paths', raw.paths, baseDir),
    grace: duration(p, 'spool.grace', raw.grace, 2 * MINUTE, { min: 0, max: DAY }),
    rescan: duration(p, 'spool.rescan', raw.rescan, MINUTE, { min: 10, max: DAY }),
    maxBytes: byteSize(p, 'spool.maxBytes', raw.maxBytes, 10 * MIB, { min: 1024, max: 1024 * MIB }),
    watcher: oneOf(p, 'spool.watcher', raw.watcher, 'chokidar', ['chokidar', 'native'] as const),
  };
}

/**
 * A spool folder equal to, inside or around the state folder would have the daemon claim its own
 * state files as spool items, and let a second daemon start on the same state: refused.
 */
function keepSpoolApart(
  p: Problems,
  rawSpool: unknown,
  paths: readonly string[],
  stateDir: string,
  rules: OverlapRules,
): void {
  const raw = isPlainObject(rawSpool) ? rawSpool.paths : undefined;
  const keyOf = (folder: string): string => {
    // Name the entry as written (one string is a list of one), so the user finds it.
    if (!Array.isArray(raw)) return 'spool.paths';
    const index = paths.indexOf(folder);
    return index >= 0 && paths.length === raw.length ? `spool.paths[${index}]` : 'spool.paths';
  };
  for (const folder of paths) {
    if (folder === 'auto') continue;
    const overlap = overlapOf(folder, stateDir, rules);
    if (overlap === undefined) continue;
    const how =
      overlap === 'same' ? 'is the same folder as stateDir' : overlap === 'inside' ? `is inside stateDir (${show(stateDir)})` : `contains stateDir (${show(stateDir)})`; // prettier-ignore
    p.add(
      keyOf(folder),
      `${show(folder)} ${how}; the daemon would take its own state files as spool items. Keep spool.paths and stateDir apart (neither inside the other)`,
    );
  }
}

/** Folders to watch; `auto` stays literal (discovery expands it). One string is taken as a list of one. */
function parseSpoolPaths(p: Problems, key: string, value: unknown, baseDir: string): string[] {
  if (value === undefined) return ['auto'];
  const list = typeof value === 'string' ? [value] : value;
  const expected = 'a list of folders (absolute, or relative to the config file) and/or "auto"';
  if (!Array.isArray(list) || list.length === 0) {
    p.bad(key, value, `${expected}, with at least one entry`);
    return ['auto'];
  }
  const paths: string[] = [];
  list.forEach((entry: unknown, index) => {
    const entryKey = `${key}[${index}]`;
    if (typeof entry !== 'string' || entry.trim() === '') return p.bad(entryKey, entry, expected);
    if (entry.toLowerCase() === 'auto') return void paths.push('auto');
    const resolved = resolvePath(p, entryKey, entry, baseDir);
    if (resolved !== undefined) paths.push(resolved);
  });
  return [...new Set(paths)];
}

function parseDelivery(
  p: Problems,
  value: unknown,
  baseDir: string,
  stateDir: string,
): Config['delivery'] {
  const raw = section(p, 'delivery', value, keysOf(KEY_TREE.delivery));
  const transport = oneOf(p, 'delivery.transport', raw.transport, 'ews', TRANSPORTS);
  // A bad transport name is reported once; its would-be ews settings are not then required too.
  const effective =
    raw.transport === undefined || raw.transport === transport ? transport : 'sandbox';
  const sandbox = section(p, 'delivery.sandbox', raw.sandbox, keysOf(KEY_TREE.delivery.sandbox));
  return {
    transport,
    concurrency: integer(p, 'delivery.concurrency', raw.concurrency, 2, { min: 1, max: 64 }),
    shutdownTimeout: duration(p, 'delivery.shutdownTimeout', raw.shutdownTimeout, 10 * SECOND, {
      min: 0,
      max: 10 * MINUTE,
    }),
    ews: parseEws(p, 'delivery.ews', raw.ews, effective === 'ews' || effective === 'auto'),
    graph: parseGraph(p, raw.graph, effective === 'graph' || effective === 'auto', baseDir, stateDir), // prettier-ignore
    routing: parseRouting(p, raw.routing),
    sandbox: {
      mailbox: path(
        p,
        'delivery.sandbox.mailbox',
        sandbox.mailbox,
        join(stateDir, 'sandbox-mailbox'),
        baseDir,
      ),
    },
  };
}

/** Domains are compared case-insensitively, so they are kept in lower case. */
function parseOrganization(p: Problems, value: unknown): Config['organization'] {
  const raw = section(p, 'organization', value, keysOf(KEY_TREE.organization));
  const key = 'organization.domains';
  if (raw.domains === undefined) return { domains: [] };
  if (!Array.isArray(raw.domains)) {
    p.bad(key, raw.domains, 'a list of domain names, such as ["contoso.com"]');
    return { domains: [] };
  }
  const domains: string[] = [];
  raw.domains.forEach((entry: unknown, index) => {
    const entryKey = `${key}[${index}]`;
    const name =
      typeof entry === 'string' ? entry.trim().toLowerCase().replace(/\.$/, '') : undefined;
    if (name !== undefined && DOMAIN.test(name) && name.includes('.'))
      return void domains.push(name);
    const bare = name?.replace(/^(\*\.|@)/, '');
    const hint =
      bare && bare !== name && DOMAIN.test(bare)
        ? ` (did you mean "${bare}"? subdomains are included anyway)`
        : '';
    p.bad(entryKey, entry, `a domain name such as "contoso.com"${hint}`);
  });
  return { domains: [...new Set(domains)] };
}

/** How long `imspooler history` (and `show`) can tell what became of an item. */
function parseHistory(p: Problems, value: unknown): Config['history'] {
  const raw = section(p, 'history', value, keysOf(KEY_TREE.history));
  return {
    retention: duration(p, 'history.retention', raw.retention, 30 * DAY, {
      min: 0,
      max: 3650 * DAY,
    }),
  };
}

function parseRetry(p: Problems, value: unknown): Config['retry'] {
  const raw = section(p, 'retry', value, keysOf(KEY_TREE.retry));
  const retry = {
    minDelay: duration(p, 'retry.minDelay', raw.minDelay, 30 * SECOND, { min: 10, max: DAY }),
    maxDelay: duration(p, 'retry.maxDelay', raw.maxDelay, HOUR, { min: 0, max: 7 * DAY }),
    maxAge: duration(p, 'retry.maxAge', raw.maxAge, 72 * HOUR, { min: SECOND, max: 365 * DAY }),
    quickRetries: integer(p, 'retry.quickRetries', raw.quickRetries, 2, { min: 0, max: 10 }),
  };
  if (retry.minDelay > retry.maxDelay) {
    const given = raw.maxDelay === undefined ? `the default "1h"` : show(raw.maxDelay);
    p.add(
      'retry.maxDelay',
      `${given} is less than retry.minDelay (${formatDuration(retry.minDelay)}); expected a duration of at least retry.minDelay`,
    );
  }
  return retry;
}
