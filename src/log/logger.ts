import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';
import { ecsFormat } from '@elastic/ecs-winston-format';
import type { LogLevel } from '../config/config-types.js';
import { defaultLevel, ecsFieldsFor } from './ecs-fields.js';
import type { EventLog } from './event-log.js';
import { makeRedactor, redactDeep } from './redact.js';

/** Options of `makeEventLog`. */
export interface EventLogOptions {
  level: LogLevel;
  /** JSON log file (created 0600 in a 0700 folder), or null. */
  file: string | null;
  /** Also write every line to stdout (the daemon does; CLI commands log to the file only). */
  stdout: boolean;
  /** Values that must never appear in a line (passwords, tokens). */
  secrets?: () => readonly string[];
}

/** One ECS JSON line per outcome, to the log file and (for the daemon) stdout. */
export function makeEventLog(options: EventLogOptions): EventLog {
  const redact = makeRedactor(options.secrets ?? (() => []));
  const transports: winston.transport[] = [];
  let fileTransport: winston.transports.FileTransportInstance | undefined;
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    fileTransport = new winston.transports.File({
      filename: options.file,
      options: { flags: 'a', mode: 0o600 },
    });
    transports.push(fileTransport);
  }
  if (options.stdout) transports.push(new winston.transports.Console());
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
        ...ecsFieldsFor(action, outcome, fields),
        process: { pid: process.pid },
      });
    },
    diag(level, message, extra) {
      write(level, message, extra ? { imspooler: extra } : {});
    },
    close() {
      return new Promise<void>((resolve) => {
        // The file transport flushes on its own 'finish'; the logger's 'finish' can come first.
        const done = fileTransport
          ? new Promise<void>((r) => fileTransport!.once('finish', () => r()))
          : Promise.resolve();
        const fallback = setTimeout(resolve, 2000);
        fallback.unref();
        logger.end();
        void done.then(() => {
          clearTimeout(fallback);
          resolve();
        });
      });
    },
  };
}

/** An EventLog that remembers lines in memory: for tests and for `status` snapshots. */
export function makeMemoryEventLog(): EventLog & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    event(action, outcome, message, fields = {}) {
      lines.push({ message, ...ecsFieldsFor(action, outcome, fields) });
    },
    diag(level, message, extra) {
      lines.push({ level, message, ...(extra ? { imspooler: extra } : {}) });
    },
    close: async () => {},
  };
}
