import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type winston from 'winston';
// winston's own transport base class (winston depends on it and re-exports it as `Transport`).
import TransportStream from 'winston-transport';
import { parseByteSize } from '../config/byte-size.js';
import type { ConfigProblem } from '../errors/errors.js';
import { ConfigError } from '../errors/errors.js';
import { datedLogPattern, openLogFile, parseRotatedName, type LogFs } from './log-file.js';

export { datedLogPattern } from './log-file.js';

/** Options of `makeRotatingFileTransport` (config `log.file`, `log.maxSize`, `log.maxFiles`). */
export interface RotatingFileOptions {
  /** The configured log file, e.g. `/var/imspooler/log/imspooler.log`; see `datedLogPattern`. */
  file: string;
  /** Start a new file past this size: bytes, or a size such as `"20MiB"`, `"20m"` (default 20 MiB). */
  maxSize?: string | number | undefined;
  /** Keep this many files (`10`), or files this many days old (`"14d"`, the default). */
  maxFiles?: string | number | undefined;
  /** Told when the file cannot be written and when it can again (default: a line on stderr; logging never crashes the daemon). */
  onError?: (message: string) => void;
  /** Injected in tests (a full disk, a day boundary). */
  fs?: LogFs;
  now?: () => number;
}

/** A rotating JSON log file. */
export interface RotatingFile {
  /** Add to the winston logger's transports (it writes whatever the logger's format produced). */
  transport: winston.transport;
  /** The name pattern of rotated files, with `%DATE%` (UTC, `YYYY-MM-DD`), absolute. */
  pattern: string;
  /** Closes `log.file` and opens it again at the next line (after logrotate moved it away). */
  reopen(): void;
  /**
   * Resolves once every line handed to the transport is written and the file is closed. Call it
   * after `logger.end()`: ending the transport before the logger would lose the last lines.
   */
  close(): Promise<void>;
}

export const DEFAULT_LOG_MAX_SIZE = '20MiB';
export const DEFAULT_LOG_MAX_FILES = '14d';

/**
 * The existing log files of a configured `log.file`, oldest first (rotated ones by date, then by
 * the `.N` of a size rotation; `log.file` itself last): for tests, support scripts and anything
 * that must read "the log".
 */
export async function listLogFiles(file: string): Promise<string[]> {
  const { dir } = datedLogPattern(file);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: { name: string; date: string; n: number }[] = [];
  for (const name of names) {
    const parsed = parseRotatedName(file, name);
    if (parsed) found.push({ name, ...parsed });
  }
  found.sort((a, b) => a.date.localeCompare(b.date) || a.n - b.n);
  const live = names.includes(basename(file)) ? [file] : [];
  return [...found.map((f) => join(dir, f.name)), ...live];
}

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

/** `info[MESSAGE]`: the line winston's format produced. */
const MESSAGE = Symbol.for('message');

/** A winston transport writing each formatted line to the log file. */
class LogFileTransport extends TransportStream {
  constructor(private readonly writeLine: (line: string) => void) {
    super();
  }
  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    this.writeLine(String(info[MESSAGE]));
    callback();
  }
}

/**
 * The log file transport: `log.file` is the file written; a new file every UTC day and past
 * `maxSize` (the old one renamed with its date, see log-file.ts), old files removed by
 * `maxFiles`, files 0600 in a 0700 folder.
 */
export function makeRotatingFileTransport(opts: RotatingFileOptions): RotatingFile {
  const problems = checkRotationOptions(opts);
  if (problems.length > 0) throw new ConfigError(problems);
  const { dir, name, extension } = datedLogPattern(opts.file);
  const maxBytes = parseByteSize(opts.maxSize ?? DEFAULT_LOG_MAX_SIZE) ?? 20 * 1024 ** 2;
  const file = openLogFile({
    file: opts.file,
    maxBytes,
    maxFiles: opts.maxFiles ?? DEFAULT_LOG_MAX_FILES,
    onError: opts.onError ?? ((m) => process.stderr.write(`imspooler: ${m}\n`)),
    ...(opts.fs ? { fs: opts.fs } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const transport = new LogFileTransport((line) => file.write(line));
  const finished = new Promise<void>((resolve) => {
    transport.once('finish', () => resolve());
    transport.once('close', () => resolve());
  });
  return {
    transport,
    pattern: join(dir, name + extension),
    reopen: () => file.reopen(),
    close: async () => {
      // Ending the logger ends the transport once every line went through it; if the logger was
      // not ended, end the transport here. Bounded: a stream that never finishes must not hang.
      if (!transport.writableEnded) transport.end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        void finished.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      file.close();
    },
  };
}
