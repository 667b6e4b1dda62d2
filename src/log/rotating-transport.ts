import { chmodSync, mkdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import DailyRotateFile from 'winston-daily-rotate-file';
import { parseByteSize } from '../config/byte-size.js';
import type { ConfigProblem } from '../errors/errors.js';
import { ConfigError } from '../errors/errors.js';

/** Options of `makeRotatingFileTransport` (config `log.file`, `log.maxSize`, `log.maxFiles`). */
export interface RotatingFileOptions {
  /** The configured log file, e.g. `/var/imspooler/log/imspooler.log`; see `datedLogPattern`. */
  file: string;
  /** Start a new file past this size: bytes, or a size such as `"20MiB"`, `"20m"` (default 20 MiB). */
  maxSize?: string | number;
  /** Keep this many files (`10`), or files this many days old (`"14d"`, the default). */
  maxFiles?: string | number;
  /** The rotation audit file (which files exist, for retention); default `<dir>/.imspooler-log-audit.json`. */
  auditFile?: string;
  /** Called when the file cannot be written (default: one line on stderr; logging never crashes the daemon). */
  onError?: (err: Error) => void;
}

/** A rotating JSON log file. */
export interface RotatingFile {
  /** Add to the winston logger's transports (it writes whatever the logger's format produced). */
  transport: DailyRotateFile;
  /** The file name pattern with `%DATE%` (UTC, `YYYY-MM-DD`), absolute. */
  pattern: string;
  auditFile: string;
  /**
   * Resolves once every line handed to the transport is written and the file is closed. Call it
   * after `logger.end()`: ending the transport before the logger would lose the last lines.
   */
  close(): Promise<void>;
}

export const DEFAULT_LOG_MAX_SIZE = '20MiB';
export const DEFAULT_LOG_MAX_FILES = '14d';

/**
 * Where the dated files go: `%DATE%` is inserted before the extension of the configured name
 * (`imspooler.log` → `imspooler-2026-11-24.log`; a size rotation the same day adds `.1`, `.2`
 * before the extension). A name that already holds `%DATE%` is kept as it is.
 */
export function datedLogPattern(file: string): { dir: string; name: string; extension: string } {
  const dir = dirname(file);
  const base = basename(file);
  if (base.includes('%DATE%')) return { dir, name: base, extension: '' };
  const ext = extname(base);
  return { dir, name: `${base.slice(0, base.length - ext.length)}-%DATE%`, extension: ext };
}

/**
 * The existing log files of a configured `log.file`, oldest first (by date, then by the `.N` of a
 * size rotation): for tests, support scripts and anything that must read "the log".
 */
export async function listLogFiles(file: string): Promise<string[]> {
  const { dir, name, extension } = datedLogPattern(file);
  const [before = '', after = ''] = name.split('%DATE%');
  // A size rotation adds `.N` before the extension: `imspooler-2026-11-24.1.log`.
  const re = new RegExp(
    `^${escapeRe(before)}(\\d{4}-\\d{2}-\\d{2})${escapeRe(after)}(?:\\.(\\d+))?${escapeRe(extension)}$`,
  );
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: { name: string; date: string; n: number }[] = [];
  for (const n of names) {
    const m = re.exec(n);
    if (m) found.push({ name: n, date: m[1] ?? '', n: Number(m[2] ?? 0) });
  }
  found.sort((a, b) => a.date.localeCompare(b.date) || a.n - b.n);
  return found.map((f) => join(dir, f.name));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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

/**
 * A winston-daily-rotate-file transport: a new file every UTC day and past `maxSize`, old files
 * removed by `maxFiles`, files created 0600 in a 0700 folder. The library creates log files with
 * the mode we pass, but writes its audit file with the default umask, so both are chmod-ed to
 * 0600 whenever a file is started.
 */
export function makeRotatingFileTransport(opts: RotatingFileOptions): RotatingFile {
  const problems = checkRotationOptions(opts);
  if (problems.length > 0) throw new ConfigError(problems);
  const { dir, name, extension } = datedLogPattern(opts.file);
  const auditFile = opts.auditFile ?? join(dir, '.imspooler-log-audit.json');
  const maxBytes = parseByteSize(opts.maxSize ?? DEFAULT_LOG_MAX_SIZE) ?? 20 * 1024 ** 2;
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const transport = new DailyRotateFile({
    dirname: dir,
    filename: name,
    extension,
    datePattern: 'YYYY-MM-DD',
    utc: true,
    // The library only understands whole k/m/g; kibibytes are exact enough.
    maxSize: `${Math.ceil(maxBytes / 1024)}k`,
    maxFiles: opts.maxFiles ?? DEFAULT_LOG_MAX_FILES,
    auditFile,
    options: { flags: 'a', mode: 0o600 },
    // LF on every platform (the contract), not the library's default os.EOL (CRLF on Windows).
    eol: '\n',
  });
  const stream = transport.logStream as NodeJS.WritableStream & NodeJS.EventEmitter;
  const streamDone = new Promise<void>((resolve) => {
    stream.once('finish', () => resolve());
    stream.once('close', () => resolve());
  });
  const onError =
    opts.onError ??
    ((err: Error) =>
      process.stderr.write(`imspooler: cannot write the log file: ${err.message}\n`));
  // The library does not forward stream errors: without a listener an EACCES would crash the daemon.
  stream.on('error', onError);
  transport.on('new', (file: string) => {
    for (const f of [file, auditFile]) {
      try {
        chmodSync(f, 0o600);
      } catch {
        // Not created yet, or a file system without modes (FAT, some shares): nothing to tighten.
      }
    }
  });

  return {
    transport,
    pattern: join(dir, name + extension),
    auditFile,
    close: () => closeTransport(transport, stream, streamDone),
  };
}

async function closeTransport(
  transport: DailyRotateFile,
  stream: NodeJS.WritableStream,
  streamDone: Promise<void>,
): Promise<void> {
  // Not unref'd: an unref'd timer lets Node exit mid-close (exit 13) when the stream never calls back.
  const bounded = (p: Promise<void>) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      void p.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  // Ending the logger ends the transport, which ends the file stream; if the logger was not
  // ended (or had no lines), end the stream ourselves. `streamDone` was armed at creation, so a
  // 'finish' that already happened is not waited for in vain.
  if (!(stream as { writableEnded?: boolean }).writableEnded) transport.end();
  await bounded(streamDone);
}
