import type { Config } from '../../config/config-types.js';
import { whereFrom } from '../../status/render-table.js';

/**
 * Which queue a command read, for output that finds nothing: with a wrong or forgotten
 * `--config`, "no item" is about another queue, and this line shows it at once (the same words
 * `status` uses).
 */
export function whereLooked(config: Pick<Config, 'stateDir' | 'configFile'>): string {
  return whereFrom({ stateDir: config.stateDir, configFile: config.configFile ?? null });
}
