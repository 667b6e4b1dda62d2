import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config-types.js';
import { loadConfig, type LoadConfigOptions } from '../config/load-config.js';
import { currentProgram, defaultConfigFile, programVersion } from '../platform/program.js';

/**
 * What is running: this package's script (dist/cli/ or src/cli/ is two folders below its root), or
 * the self-contained program, whose bundle has no `import.meta.url` to ask (so it is asked lazily).
 */
export const program = currentProgram(() =>
  join(dirname(fileURLToPath(import.meta.url)), '..', '..'),
);

/** The repository (or installed package) root; for the packaged program, the folder it is in. */
export const packageRoot = program.kind === 'script' ? program.root : dirname(program.path);

export const packageVersion: string = programVersion(program);

/** What every command gets: how to load the config, and where to write. */
export interface CommandContext {
  configFile: string | undefined;
  env: NodeJS.ProcessEnv;
  /** What relative paths on the command line are relative to. */
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Where a command looks for its config: `--config`, `IMSPOOLER_CONFIG`, then this program's default. */
export const configFileChoice = (ctx: CommandContext): LoadConfigOptions => ({
  ...(ctx.configFile ? { file: ctx.configFile } : {}),
  env: ctx.env,
  cwd: ctx.cwd,
  repoRoot: packageRoot,
  defaultFile: defaultConfigFile(program, process.platform, ctx.env),
});

export const loadCommandConfig = (ctx: CommandContext): Promise<Config> =>
  loadConfig(configFileChoice(ctx));
