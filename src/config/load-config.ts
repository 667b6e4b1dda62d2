/**
 * The I/O shell around `parseConfig`: finds the config file, reads it, applies environment
 * overrides, and throws one `ConfigError` holding every problem.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors/errors.js';
import type { Config } from './config-types.js';
import { defaultStateDir } from '../platform/program.js';
import { applyEnvOverrides } from './env-overrides.js';
import { locateJsonError } from './json-error.js';
import { nestingProblem } from './nesting.js';
import { parseConfig } from './parse-config.js';
import { isPlainObject } from './validators.js';

/** Names the variable that picks the config file (one underscore: not an override). */
export const CONFIG_ENV = 'IMSPOOLER_CONFIG';

export interface LoadConfigOptions {
  /** `--config FILE`; relative to `cwd`. */
  file?: string;
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** What relative `file`/`IMSPOOLER_CONFIG` are relative to; defaults to `process.cwd()`. */
  cwd?: string;
  /** The repository (package) root, whose `config/default.json` is the last resort. */
  repoRoot: string;
  /** The last resort instead of `<repoRoot>/config/default.json` (a packaged program's own place). */
  defaultFile?: string;
  /** Decides the default `stateDir` (`%LOCALAPPDATA%\imspooler` on Windows); default: this machine's. */
  platform?: NodeJS.Platform;
}

/** Which file will be read, and why (for messages). */
export function chooseConfigFile(opts: LoadConfigOptions): { file: string; source: string } {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  if (opts.file) return { file: resolve(cwd, opts.file), source: '--config' };
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv) return { file: resolve(cwd, fromEnv), source: CONFIG_ENV };
  return {
    file: opts.defaultFile ?? join(opts.repoRoot, 'config', 'default.json'),
    source: 'the default',
  };
}

/**
 * Loads and validates the configuration: `opts.file`, else `IMSPOOLER_CONFIG`, else
 * `<repoRoot>/config/default.json`; then `IMSPOOLER__*` overrides. Throws `ConfigError`.
 */
export async function loadConfig(opts: LoadConfigOptions): Promise<Config> {
  const env = opts.env ?? process.env;
  const { file, source } = chooseConfigFile(opts);
  const raw = parseJsonFile(file, await readConfigText(file, source));
  if (!isPlainObject(raw)) {
    throw new ConfigError([
      { key: file, message: 'expected a JSON object ({ ... }) at the top level' },
    ]);
  }
  // Before the overrides copy it (structuredClone recurses); overrides too deep are parseConfig's.
  const tooDeep = nestingProblem(raw);
  if (tooDeep.length > 0) throw new ConfigError(tooDeep);
  const overridden = applyEnvOverrides(raw, env);
  const baseDir = dirname(file);
  const parsed = parseConfig(overridden.value, {
    baseDir,
    configFile: file,
    defaultStateDir: defaultStateDir(opts.platform ?? process.platform, env, baseDir),
  });
  const problems: ConfigProblem[] = [...overridden.problems];
  if (!parsed.ok) {
    // A bad value that came from the environment would be hunted for in vain in the file.
    const byKey = new Map(overridden.applied.map((a) => [a.key, a.variable]));
    for (const problem of parsed.problems) {
      const variable = overriddenBy(problem.key, byKey);
      problems.push(
        variable ? { ...problem, message: `${problem.message} (set by ${variable})` } : problem,
      );
    }
  }
  if (problems.length > 0 || !parsed.ok) throw new ConfigError(problems);
  return parsed.config;
}

async function readConfigText(file: string, source: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder, not a file'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : (code ?? 'unreadable');
    throw new ConfigError(
      [{ key: file, message: `cannot read the config file (named by ${source}): ${why}` }],
      {
        cause: error,
      },
    );
  }
}

function parseJsonFile(file: string, text: string): unknown {
  // Notepad and PowerShell's Out-File like to start UTF-8 files with a byte order mark.
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    // No `cause`: V8's message quotes the file's text, which may hold something secret.
    const where = locateJsonError(body);
    const message = where
      ? `invalid JSON at line ${where.line}, column ${where.column}: ${where.reason}`
      : 'invalid JSON';
    throw new ConfigError([{ key: file, message }]);
  }
}

/** The variable that set `key` or one of the objects above it (`delivery.ews` covers `delivery.ews.url`). */
function overriddenBy(key: string, byKey: ReadonlyMap<string, string>): string | undefined {
  const bare = key.replace(/\[\d+\]$/, '');
  const parts = bare.split('.');
  for (let n = parts.length; n > 0; n--) {
    const variable = byKey.get(parts.slice(0, n).join('.'));
    if (variable) return variable;
  }
  return undefined;
}
