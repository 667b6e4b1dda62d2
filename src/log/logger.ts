import winston from 'winston';
import { ecsFormat } from '@elastic/ecs-winston-format';
import type { LogLevel } from '../config/config-types.js';
import { defaultLevel, ecsFieldsFor } from './ecs-fields.js';
import type { EventLog } from './event-log.js';
import { consoleFormatFor, type ConsoleMode } from './pretty-format.js';
import { makeRedactor, redactDeep } from './redact.js';
import { makeRotatingFileTransport, type RotatingFile } from './rotating-transport.js';

/** Options of `makeEventLog`. */
export interface EventLogOptions {
  level: LogLevel;
  /** JSON log file (created 0600 in a 0700 folder), or null. */
  file: string | null;
  /** Also write every line to stdout (the daemon does; CLI commands log to the file only). */
  stdout: boolean;
  /** Values that must never appear in a line (passwords, tokens). */
  secrets?: () => readonly string[];
  /** `log.console`: compact lines when stdout is a terminal (default), else the JSON lines. */
  console?: ConsoleMode;
  /** `log.maxSize` / `log.maxFiles` (see rotating-transport.ts for the defaults). */
  maxSize?: string | number | undefined;
  maxFiles?: string | number | undefined;
  /** `log.addresses` (default true): item lines carry the envelope's addresses. */
  addresses?: boolean;
}

/**
 * Log lines end in LF on every platform (the contract). winston and its file transport default to
 * `os.EOL`, which is CRLF on Windows, so every transport is given this explicitly.
 */
export const LOG_EOL = '\n';

/** One ECS JSON line per outcome, to the log file and (for the daemon) stdout. */
export function makeEventLog(options: EventLogOptions): EventLog {
  const redact = makeRedactor(options.secrets ?? (() => []));
  const transports: winston.transport[] = [];
  let rotating: RotatingFile | undefined;
  let closed = false;
  const openFile = (file: string): RotatingFile =>
    makeRotatingFileTransport({
      file,
      maxSize: options.maxSize,
      maxFiles: options.maxFiles,
    });
  if (options.file) {
    rotating = openFile(options.file);
    transports.push(rotating.transport);
  }
  if (options.stdout) {
    const format = consoleFormatFor(options.console ?? 'pretty', process.stdout.isTTY === true);
    transports.push(new winston.transports.Console({ format, eol: LOG_EOL }));
  }
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
  const logger = winston.createLogger({
    level: options.level,
    format: ecsFormat(),
    transports,
    exitOnError: false,
  });

  const write = (level: string, message: string, meta: Record<string, unknown>) => {
    logger.log(level, redact(message), redactDeep(meta, redact) as Record<string, unknown>);
  };

  return {
    event(action, outcome, message, fields = {}) {
      write(fields.level ?? defaultLevel(outcome), message, {
        ...ecsFieldsFor(action, outcome, fields, { addresses: options.addresses ?? true }),
        process: { pid: process.pid },
      });
    },
    diag(level, message, extra) {
      write(level, message, extra ? { imspooler: extra } : {});
    },
    async close() {
      closed = true;
      // The logger must end first: ending the file before it would lose the last lines.
      logger.end();
      await rotating?.close();
    },
    async reopen() {
      if (!options.file || !rotating || closed) return;
      // Swapped with nothing awaited in between, so each line goes to exactly one of the two;
      // the old one then finishes the lines it holds, into the file that was moved away.
      const old = rotating;
      rotating = openFile(options.file);
      logger.remove(old.transport);
      logger.add(rotating.transport);
      await old.close();
    },
  };
}

/** An EventLog that remembers lines in memory: for tests and for `status` snapshots. */
export function makeMemoryEventLog(
  opts: { addresses?: boolean } = {},
): EventLog & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    event(action, outcome, message, fields = {}) {
      lines.push({ message, ...ecsFieldsFor(action, outcome, fields, opts) });
    },
    diag(level, message, extra) {
      lines.push({ level, message, ...(extra ? { imspooler: extra } : {}) });
    },
    close: async () => {},
  };
}
