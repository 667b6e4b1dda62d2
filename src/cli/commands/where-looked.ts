import type { Config } from '../../config/config-types.js';

/**
 * Which queue a command read, for output that finds nothing: with a wrong or forgotten
 * `--config`, "no item" is about another queue, and this line shows it at once.
 */
export function whereLooked(config: Pick<Config, 'stateDir' | 'configFile'>): string {
  const file = config.configFile ?? '(none: built-in defaults)';
  return `state folder ${config.stateDir} (config ${file})`;
}
