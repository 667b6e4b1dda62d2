import { join } from 'node:path';
import { isConfigError } from '../errors/errors.js';
import { checkRotationOptions } from '../log/rotating-transport.js';
import { parseListenAddress } from '../metrics/listen-address.js';
import type { Config, LogLevel } from './config-types.js';
import { KEY_TREE } from './key-tree.js';
import { boolean, duration, oneOf, path, section, type Problems } from './validators.js';

const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const MINUTE = 60_000;

/** `log.*`: level, file (with rotation), console format, whether item lines carry addresses. */
export function parseLog(
  p: Problems,
  value: unknown,
  baseDir: string,
  stateDir: string,
): Config['log'] {
  const raw = section(p, 'log', value, Object.keys(KEY_TREE.log));
  const fallback = join(stateDir, 'log', 'imspooler.log');
  for (const problem of checkRotationOptions({ maxSize: raw.maxSize, maxFiles: raw.maxFiles })) {
    p.add(problem.key, problem.message);
  }
  return {
    level: oneOf(p, 'log.level', raw.level, 'info', LOG_LEVELS),
    file: raw.file === null ? null : path(p, 'log.file', raw.file, fallback, baseDir),
    console: oneOf(p, 'log.console', raw.console, 'pretty', ['pretty', 'json'] as const),
    addresses: boolean(p, 'log.addresses', raw.addresses, true),
    maxSize: raw.maxSize as string | number | undefined,
    maxFiles: raw.maxFiles as string | number | undefined,
  };
}

/** `metrics.*`: the optional loopback-only health and metrics listener. */
export function parseMetrics(p: Problems, value: unknown): Config['metrics'] {
  const raw = section(p, 'metrics', value, Object.keys(KEY_TREE.metrics));
  let listen: string | null = null;
  if (raw.listen !== undefined && raw.listen !== null) {
    if (typeof raw.listen !== 'string') {
      p.bad(
        'metrics.listen',
        raw.listen,
        'null (off) or "host:port" on loopback, such as "127.0.0.1:9464"',
      );
    } else {
      try {
        parseListenAddress(raw.listen);
        listen = raw.listen;
      } catch (e) {
        if (!isConfigError(e)) throw e;
        for (const problem of e.problems) p.add(problem.key, problem.message);
      }
    }
  }
  const after = section(
    p,
    'metrics.degradedAfter',
    raw.degradedAfter,
    Object.keys(KEY_TREE.metrics.degradedAfter),
  );
  let diskFreeBelow = 0.05;
  if (after.diskFreeBelow !== undefined) {
    if (
      typeof after.diskFreeBelow === 'number' &&
      after.diskFreeBelow >= 0 &&
      after.diskFreeBelow < 1
    ) {
      diskFreeBelow = after.diskFreeBelow;
    } else {
      p.bad(
        'metrics.degradedAfter.diskFreeBelow',
        after.diskFreeBelow,
        'a fraction from 0 to below 1, such as 0.05',
      );
    }
  }
  return {
    listen,
    degradedAfter: {
      ewsFailing: duration(p, 'metrics.degradedAfter.ewsFailing', after.ewsFailing, 10 * MINUTE, {
        min: 0,
        max: 7 * 24 * 60 * MINUTE,
      }),
      oldestItem: duration(p, 'metrics.degradedAfter.oldestItem', after.oldestItem, 60 * MINUTE, {
        min: 0,
        max: 365 * 24 * 60 * MINUTE,
      }),
      diskFreeBelow,
    },
  };
}
