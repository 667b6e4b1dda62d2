/**
 * Pure validation of `log.maxSize` and `log.maxFiles`, so that checking a config never loads the
 * log layer (winston and its transports): the config says what is allowed, the log layer
 * (`log/rotating-transport.ts`) interprets it.
 */
import { parseByteSize } from './byte-size.js';
import type { ConfigProblem } from '../errors/errors.js';

/** Problems with `log.maxSize` / `log.maxFiles`, named by config key (empty when both are fine). */
export function checkRotationOptions(opts: {
  maxSize?: unknown;
  maxFiles?: unknown;
}): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (opts.maxSize !== undefined) {
    const bytes = parseByteSize(opts.maxSize);
    if (bytes === undefined || bytes < 1024) {
      problems.push({
        key: 'log.maxSize',
        message: `${JSON.stringify(opts.maxSize)}: expected a size of at least 1KiB, such as "20MiB"`,
      });
    }
  }
  if (opts.maxFiles !== undefined) {
    const ok =
      (typeof opts.maxFiles === 'number' &&
        Number.isSafeInteger(opts.maxFiles) &&
        opts.maxFiles > 0) ||
      (typeof opts.maxFiles === 'string' && /^[1-9]\d{0,5}d?$/.test(opts.maxFiles));
    if (!ok) {
      problems.push({
        key: 'log.maxFiles',
        message: `${JSON.stringify(opts.maxFiles)}: expected a number of files (10) or of days ("14d")`,
      });
    }
  }
  return problems;
}
