/**
 * Secrets at the moment they are needed: a password from the environment variable the config
 * names, or a bearer token from a variable or a command. Values never appear in messages; a
 * failing command's output is not repeated either (it may hold part of a token).
 */
import { execFile } from 'node:child_process';
import { ConfigError } from '../errors/errors.js';
import type { AuthConfig } from './config-types.js';

export type Secret = { username: string; password: string } | { token: string };

/**
 * Runs a program without a shell and resolves with its stdout; rejects on a non-zero exit, a
 * timeout, or a failure to start (with the `execFile` error fields `code`, `killed`, `signal`).
 */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  opts: { timeoutMs: number; env: NodeJS.ProcessEnv },
) => Promise<string>;

/** How long `tokenCommand` may take. */
export const TOKEN_COMMAND_TIMEOUT_MS = 10_000;

const AUTH_KEY = 'delivery.ews.auth';

/** Reads the secret `auth` refers to. Throws `ConfigError` naming the variable or command at fault. */
export async function resolveSecret(
  auth: AuthConfig,
  env: NodeJS.ProcessEnv = process.env,
  runCommand: CommandRunner = runWithoutShell,
): Promise<Secret> {
  if (auth.type === 'basic' || auth.type === 'ntlm') {
    return {
      username: auth.username,
      password: fromEnv(
        env,
        auth.passwordEnv,
        `${AUTH_KEY}.passwordEnv`,
        `the password of ${auth.username}`,
      ),
    };
  }
  if (auth.tokenEnv) {
    return { token: fromEnv(env, auth.tokenEnv, `${AUTH_KEY}.tokenEnv`, 'the OAuth bearer token') };
  }
  if (auth.tokenCommand)
    return { token: await tokenFromCommand(auth.tokenCommand, env, runCommand) };
  throw new ConfigError([
    { key: AUTH_KEY, message: 'auth.type "oauth" needs "tokenEnv" or "tokenCommand"' },
  ]);
}

function fromEnv(env: NodeJS.ProcessEnv, name: string, key: string, what: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigError([
      {
        key,
        message: `environment variable ${name} is not set (or is empty); set it to ${what} before starting imspooler`,
      },
    ]);
  }
  return value;
}

async function tokenFromCommand(
  commandLine: string,
  env: NodeJS.ProcessEnv,
  runCommand: CommandRunner,
): Promise<string> {
  const key = `${AUTH_KEY}.tokenCommand`;
  const fail = (message: string, cause?: unknown): ConfigError =>
    new ConfigError(
      [{ key, message }],
      cause === undefined ? undefined : { cause: redactedCause(cause) },
    );
  let argv: string[];
  try {
    argv = splitCommandLine(commandLine);
  } catch (error) {
    throw fail((error as Error).message);
  }
  const [program, ...args] = argv;
  if (program === undefined) throw fail('is empty; expected a command line that prints the token');
  let stdout: string;
  try {
    stdout = await runCommand(program, args, { timeoutMs: TOKEN_COMMAND_TIMEOUT_MS, env });
  } catch (error) {
    throw fail(`"${program}" ${describeFailure(error)}`, error);
  }
  const token = stdout.trim();
  if (token === '')
    throw fail(`"${program}" printed nothing; expected the token on standard output`);
  if (/\s/.test(token)) {
    throw fail(
      `"${program}" printed more than the token (it contains whitespace or several lines); expected only the token on standard output`,
    );
  }
  return token;
}

function describeFailure(error: unknown): string {
  const e = error as { code?: unknown; killed?: boolean; signal?: unknown };
  if (e.killed || e.signal === 'SIGTERM')
    return `did not finish within ${TOKEN_COMMAND_TIMEOUT_MS / 1000} s`;
  if (e.code === 'ENOENT')
    return 'could not be started: no such program (on Windows, run .cmd/.bat files as "cmd /d /c NAME")';
  if (e.code === 'EACCES') return 'could not be started: permission denied';
  if (typeof e.code === 'number')
    return `exited with code ${e.code} (its output is not shown: it may hold a secret)`;
  if (typeof e.code === 'string') return `could not be run (${e.code})`;
  if (typeof e.signal === 'string') return `was ended by ${e.signal}`;
  return 'failed';
}

/** The failure without stdout/stderr, which `execFile` attaches to its errors. */
function redactedCause(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { code, signal, killed } = error as Record<string, unknown>;
  return { code, signal, killed };
}

/**
 * Splits a command line into program and arguments, the way a user reads it: whitespace separates,
 * "double" or 'single' quotes group. No shell is involved, so no `$VAR`, globs, pipes or `&&`;
 * backslashes are literal so that Windows paths work as written.
 */
export function splitCommandLine(line: string): string[] {
  const argv: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) argv.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`has an unclosed ${quote} quote`);
  if (inWord) argv.push(current);
  return argv;
}

/** The default runner: `execFile` (no shell), hidden window on Windows, output capped. */
export const runWithoutShell: CommandRunner = (file, args, opts) =>
  new Promise((resolvePromise, reject) => {
    execFile(
      file,
      [...args],
      {
        timeout: opts.timeoutMs,
        env: opts.env,
        windowsHide: true,
        maxBuffer: 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout) => (error ? reject(error) : resolvePromise(stdout)),
    );
  });
