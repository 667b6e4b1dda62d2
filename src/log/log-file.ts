import * as nodeFs from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** The synchronous file calls the log file makes (injected in tests: ENOSPC, a day boundary). */
export type LogFs = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'writeSync'
  | 'closeSync'
  | 'fstatSync'
  | 'statSync'
  | 'renameSync'
  | 'readdirSync'
  | 'unlinkSync'
  | 'ftruncateSync'
  | 'chmodSync'
  | 'mkdirSync'
  | 'existsSync'
>;

/** Options of `openLogFile`. */
export interface LogFileOptions {
  /** `log.file`: the file that is written; rotated files get the date in their name. */
  file: string;
  maxBytes: number;
  /** Keep this many files, the live one included (`10`), or files of this many days (`"14d"`). */
  maxFiles: string | number;
  fs?: LogFs;
  /** Wall clock (ms since the epoch): the UTC day decides when the file is rotated. */
  now?: () => number;
  /** Told once when writing starts to fail, and once when it works again. */
  onError?: (message: string) => void;
}

/** The live log file. */
export interface LogFile {
  /** Appends one line (without its LF). Never throws: a line that cannot be written is counted. */
  write(line: string): void;
  /** Closes and opens `log.file` again (after an outside tool moved it away). */
  reopen(): void;
  close(): void;
}

/**
 * Names of rotated files: the UTC date of the lines they hold, before the extension of `log.file`
 * (`imspooler.log` → `imspooler-2026-11-24.log`; a second file of that day `imspooler-2026-11-24.1.log`).
 */
export function datedLogPattern(file: string): { dir: string; name: string; extension: string } {
  const dir = dirname(file);
  const base = basename(file);
  if (base.includes('%DATE%')) return { dir, name: base, extension: '' };
  const ext = extname(base);
  return { dir, name: `${base.slice(0, base.length - ext.length)}-%DATE%`, extension: ext };
}

/** Pure: a rotated file of `log.file` (its date and `.N`), or undefined for any other name. */
export function parseRotatedName(
  file: string,
  name: string,
): { date: string; n: number } | undefined {
  const p = datedLogPattern(file);
  const [before = '', after = ''] = p.name.split('%DATE%');
  const re = new RegExp(
    `^${escapeRe(before)}(\\d{4}-\\d{2}-\\d{2})${escapeRe(after)}(?:\\.(\\d+))?${escapeRe(p.extension)}$`,
  );
  const m = re.exec(name);
  return m ? { date: m[1] ?? '', n: Number(m[2] ?? 0) } : undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Pure: which rotated files `maxFiles` removes (names with their date and `.N`, any order). */
export function filesToPrune(
  rotated: readonly { name: string; date: string; n: number }[],
  maxFiles: string | number,
  today: string,
): string[] {
  const sorted = [...rotated].sort((a, b) => a.date.localeCompare(b.date) || a.n - b.n);
  const days = typeof maxFiles === 'string' && maxFiles.endsWith('d');
  if (days) {
    const keepDays = Number.parseInt(maxFiles, 10);
    const cutoff = dayOf(Date.parse(`${today}T00:00:00Z`) - (keepDays - 1) * 86_400_000);
    return sorted.filter((f) => f.date < cutoff).map((f) => f.name);
  }
  const keep = Math.max(0, Number(maxFiles) - 1); // the live file is one of them
  return sorted.slice(0, Math.max(0, sorted.length - keep)).map((f) => f.name);
}

/** Retry a rotation that failed (a reader holding the file on Windows) no more often than this. */
const ROTATE_RETRY_MS = 60_000;

/**
 * Writes `log.file` itself, so `tail -f` and collectors pointed at it see every line; at the first
 * line of a new UTC day, or past `maxBytes`, the file is renamed to its dated name and a new one
 * started. Writes are synchronous (a line is on its way to the disk when the call returns, and a
 * failed write can be cut back so no half line stays). When a write fails (ENOSPC), lines are
 * counted, not buffered; the first line that can be written again is preceded by one saying how
 * many were lost. Files are 0600 in a 0700 folder.
 */
export function openLogFile(opts: LogFileOptions): LogFile {
  const fs = opts.fs ?? nodeFs;
  const now = opts.now ?? Date.now;
  const { dir } = datedLogPattern(opts.file);
  const p = datedLogPattern(opts.file);
  let fd: number | undefined;
  let size = 0;
  let day = dayOf(now());
  let rotateAfter = 0;
  let lost: { count: number; code: string; since: number } | undefined;

  const rotatedName = (date: string): string => {
    const stem = p.name.replace('%DATE%', date);
    for (let n = 0; ; n++) {
      const candidate = join(dir, `${stem}${n === 0 ? '' : `.${n}`}${p.extension}`);
      if (!fs.existsSync(candidate)) return candidate;
    }
  };

  const prune = (): void => {
    const rotated = fs
      .readdirSync(dir)
      .map((name) => ({ name, parsed: parseRotatedName(opts.file, name) }))
      .flatMap((f) => (f.parsed ? [{ name: f.name, ...f.parsed }] : []));
    for (const name of filesToPrune(rotated, opts.maxFiles, dayOf(now()))) {
      try {
        fs.unlinkSync(join(dir, name));
      } catch {
        // Gone already, or held open by a reader: the next rotation tries again.
      }
    }
  };

  const open = (): void => {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fd = fs.openSync(opts.file, 'a', 0o600);
    try {
      fs.chmodSync(opts.file, 0o600);
    } catch {
      // A file system without modes (FAT, some shares).
    }
    const st = fs.fstatSync(fd);
    size = st.size;
    // A file left from an earlier day (the daemon was stopped over midnight) is that day's.
    day = size > 0 ? dayOf(st.mtimeMs) : dayOf(now());
  };

  const closeFd = (): void => {
    if (fd === undefined) return;
    try {
      fs.closeSync(fd);
    } catch {
      // Nothing more can be done about it.
    }
    fd = undefined;
  };

  const rotate = (): void => {
    if (now() < rotateAfter) return;
    closeFd();
    try {
      fs.renameSync(opts.file, rotatedName(day));
    } catch (e) {
      // Keep writing the live file and try again later rather than lose lines.
      rotateAfter = now() + ROTATE_RETRY_MS;
      opts.onError?.(`cannot rotate the log file ${opts.file}: ${(e as Error).message}`);
    }
    open();
    prune();
  };

  const writeAll = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    try {
      while (off < bytes.length) off += fs.writeSync(fd!, bytes, off, bytes.length - off);
    } catch (e) {
      // No half line stays behind: the next line starts where this one did.
      if (off > 0) {
        try {
          fs.ftruncateSync(fd!, size);
        } catch {
          // The next write appends after the fragment; its line still begins on a new line.
        }
      }
      throw e;
    }
    size += bytes.length;
  };

  const lostLine = (l: { count: number; code: string; since: number }): string =>
    JSON.stringify({
      '@timestamp': new Date(now()).toISOString(),
      'log.level': 'warn',
      message: `${l.count} log line(s) could not be written to this file between ${new Date(l.since).toISOString()} and now (${l.code}); they went to stdout only`,
      'ecs.version': '8.10.0',
      imspooler: { log_lines_lost: l.count, error_code: l.code },
    });

  return {
    write(line) {
      try {
        if (fd === undefined) open();
        const today = dayOf(now());
        if (size > 0 && day !== today) rotate();
        else if (size > 0 && size + Buffer.byteLength(line) + 1 > opts.maxBytes) rotate();
        if (lost) {
          writeAll(`${lostLine(lost)}\n`);
          opts.onError?.(
            `the log file ${opts.file} is written again; ${lost.count} line(s) were lost`,
          );
          lost = undefined;
        }
        writeAll(`${line}\n`);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'Unknown';
        if (!lost) {
          lost = { count: 0, code, since: now() };
          opts.onError?.(
            `cannot write the log file ${opts.file} (${(e as Error).message}); lines are counted and the file resumes when it can be written`,
          );
        }
        lost.count++;
      }
    },
    reopen() {
      closeFd();
    },
    close: closeFd,
  };
}
