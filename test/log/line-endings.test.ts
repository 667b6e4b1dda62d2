import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeEventLog } from '../../src/log/logger.js';
import { listLogFiles } from '../../src/log/rotating-transport.js';

/**
 * The contract: log lines end in LF on every platform. winston's transports default to os.EOL,
 * CRLF on Windows; here os.EOL is made CRLF (what Windows' Node has), and the lines the log file
 * and stdout receive are read back.
 */

const realEol = os.EOL;
let dir: string | undefined;
afterEach(async () => {
  Object.defineProperty(os, 'EOL', { value: realEol });
  vi.restoreAllMocks();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('log line endings', () => {
  it('are LF in the log file and on stdout even where os.EOL is CRLF', async () => {
    Object.defineProperty(os, 'EOL', { value: '\r\n' });
    expect(os.EOL).toBe('\r\n');
    dir = await mkdtemp(join(tmpdir(), 'imspooler-eol-'));
    const written: string[] = [];
    // winston's Console transport writes to console._stdout (process.stdout in a plain Node).
    const stdout =
      (console as unknown as { _stdout?: NodeJS.WriteStream })._stdout ?? process.stdout;
    vi.spyOn(stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const file = join(dir, 'imspooler.log');
    const log = makeEventLog({ level: 'info', file, stdout: true, console: 'json' });
    log.event('daemon.started', 'success', 'started');
    log.diag('warn', 'a warning');
    await log.close();
    vi.restoreAllMocks();

    const [logFile] = await listLogFiles(file);
    const text = await readFile(logFile!, 'utf8');
    expect(text).not.toContain('\r');
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).message),
    ).toEqual(['started', 'a warning']);
    const out = written.join('');
    expect(out).not.toContain('\r');
    expect(out.match(/\n/g)).toHaveLength(2);
  });
});
