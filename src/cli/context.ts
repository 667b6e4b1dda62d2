import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config-types.js';
import { loadConfig } from '../config/load-config.js';

/** The repository (or installed package) root: dist/cli/ or src/cli/ is two folders below it. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const packageVersion: string = (
  JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;

/** What every command gets: how to load the config, and where to write. */
export interface CommandContext {
  configFile: string | undefined;
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
}

export const loadCommandConfig = (ctx: CommandContext): Promise<Config> =>
  loadConfig({
    ...(ctx.configFile ? { file: ctx.configFile } : {}),
    env: ctx.env,
    repoRoot: packageRoot,
  });
