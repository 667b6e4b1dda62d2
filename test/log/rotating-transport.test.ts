import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { ecsFormat } from '@elastic/ecs-winston-format';
import { afterEach, describe, it, expect } from 'vitest';
import { isConfigError } from '../../src/errors/errors.js';
import { checkRotationOptions } from '../../src/config/log-rotation.js';
import {
  datedLogPattern,
  listLogFiles,
  makeRotatingFileTransport,
} from '../../src/log/rotating-transport.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'imspooler-rot-'));
  dirs.push(d);
  return d;
}

/** The way logger.ts is expected to use it: ECS format, end the logger, then close the file. */
async function logLines(
  opts: Parameters<typeof makeRotatingFileTransport>[0],
  n: number,
  pace = false,
) {
  const file = makeRotatingFileTransport(opts);
  const logger = winston.createLogger({ format: ecsFormat(), transports: [file.transport] });
  for (let i = 0; i < n; i++) {
    logger.info(`line ${i}`, { event: { action: 'delivery.succeeded', outcome: 'success' } });
    // Files open asynchronously: retention can only remove a file that has been opened, so a
    // test of retention lets I/O happen between lines as a running daemon does.
    if (pace) await new Promise((r) => setTimeout(r, 2));
  }
  logger.end();
  await file.close();
  return file;
}

describe('makeRotatingFileTransport', () => {
  it('writes ECS JSON lines to log.file itself, 0600 in a 0700 folder', async () => {
    const dir = await tempDir();
    const file = await logLines({ file: join(dir, 'log', 'imspooler.log') }, 3);
    expect(file.pattern).toBe(join(dir, 'log', 'imspooler-%DATE%.log'));
    expect(await readdir(join(dir, 'log'))).toEqual(['imspooler.log']);
    const lines = (await readFile(join(dir, 'log', 'imspooler.log'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const [i, line] of lines.entries()) {
      const rec = JSON.parse(line) as Record<string, unknown>;
      expect(rec.message).toBe(`line ${i}`);
      expect(rec['log.level']).toBe('info');
      expect(rec['@timestamp']).toMatch(/Z$/);
    }
    if (process.platform !== 'win32') {
      expect((await stat(join(dir, 'log', 'imspooler.log'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'log'))).mode & 0o777).toBe(0o700);
    }
  });

  it('starts a new file past maxSize and keeps only maxFiles of them', async () => {
    const dir = await tempDir();
    await logLines({ file: join(dir, 'imspooler.log'), maxSize: '1KiB', maxFiles: 3 }, 60, true);
    const logs = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    expect(logs.length).toBe(3);
    // listLogFiles gives them oldest first, as a reader of "the log" needs them: the live one last.
    const listed = await listLogFiles(join(dir, 'imspooler.log'));
    expect(listed).toHaveLength(3);
    expect(listed[2]).toBe(join(dir, 'imspooler.log'));
    const rotated = listed.slice(0, 2).map((f) => Number(/\.(\d+)\.log$/.exec(f)?.[1] ?? 0));
    expect(rotated).toEqual([...rotated].sort((a, b) => a - b));
    const last = await readFile(listed[2]!, 'utf8');
    expect(last.trimEnd().split('\n').at(-1)).toContain('line 59');
    for (const n of logs.filter((n) => n !== 'imspooler.log'))
      expect(n).toMatch(/^imspooler-\d{4}-\d{2}-\d{2}(\.\d+)?\.log$/);
    // Nothing lost in the files that are kept: each is whole JSON lines.
    for (const n of logs) {
      for (const line of (await readFile(join(dir, n), 'utf8')).trimEnd().split('\n')) {
        expect(() => JSON.parse(line) as unknown).not.toThrow();
      }
    }
  });

  it('refuses sizes and retention it cannot honour, naming the key', () => {
    expect(checkRotationOptions({ maxSize: '20MiB', maxFiles: '14d' })).toEqual([]);
    expect(
      checkRotationOptions({ maxSize: 'huge', maxFiles: '14 days' }).map((p) => p.key),
    ).toEqual(['log.maxSize', 'log.maxFiles']);
    let err: unknown;
    try {
      makeRotatingFileTransport({ file: '/nonexistent/x.log', maxFiles: 0 });
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err)).toBe(true);
  });
});

describe('datedLogPattern', () => {
  it.each([
    ['/l/imspooler.log', '/l', 'imspooler-%DATE%', '.log'],
    ['/l/events', '/l', 'events-%DATE%', ''],
    ['/l/app-%DATE%.json', '/l', 'app-%DATE%.json', ''],
  ])('%s', (file, dir, name, extension) => {
    expect(datedLogPattern(file)).toEqual({ dir, name, extension });
  });
});
