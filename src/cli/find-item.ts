import type { Config } from '../config/config-types.js';
import { isUsageError, UsageError } from '../errors/errors.js';
import { whereLooked } from './commands/where-looked.js';

/** An ID as typed: hex, at least the 8 characters commands accept. */
const LOOKS_LIKE_ID = /^[0-9a-f]{8,64}$/i;

/**
 * Resolves an item ID for `show` and the control commands. When a well-formed ID names no item,
 * the error also names the state folder and config file searched: with `--config` forgotten,
 * "no item" is about another queue than the one meant (the contract's "Commands").
 */
export async function resolveItemId(
  store: { resolveId(prefixOrId: string): Promise<string> },
  id: string,
  config: Pick<Config, 'stateDir' | 'configFile'>,
): Promise<string> {
  try {
    return await store.resolveId(id);
  } catch (e) {
    if (!isUsageError(e) || !LOOKS_LIKE_ID.test(id.trim())) throw e;
    throw new UsageError(`${e.message}; ${whereLooked(config)}`, { cause: e });
  }
}
