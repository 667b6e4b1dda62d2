import * as nodeFs from 'node:fs';
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesToPrune, openLogFile, type LogFs } from '../../src/log/log-file.js';
import { makeEventLog } from '../../src/log/logger.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'imspooler-logfile-'));
  dirs.push(d);
  return d;
}
const read = async (f: string) => (await readFile(f, 'utf8')).trimEnd().split('\n');
const line = (n: number) => JSON.stringify({ message: `line ${n}` });

describe('issue 10.3a: the file written is log.file itself; rotated files get the date', () => {
  it('lines go to log.file; at the first line of a new UTC day it is renamed with its date', async () => {
    const dir = await tempDir();
    const file = join(dir, 'imspooler.log');
    let now = Date.parse('2026-11-24T23:59:58Z');
    const log = openLogFile({ file, maxBytes: 1e6, maxFiles: '14d', now: () => now });
    log.write(line(1));
    expect(await read(file)).toEqual([line(1)]); // what `tail -f log.file` sees
    now = Date.parse('2026-11-25T00:00:01Z');
    log.write(line(2));
    log.close();
    expect((await readdir(dir)).sort()).toEqual(['imspooler-2026-11-24.log', 'imspooler.log']);
    expect(await read(join(dir, 'imspooler-2026-11-24.log'))).toEqual([line(1)]);
    expect(await read(file)).toEqual([line(2)]);
  });

  it('a live file left from an earlier day (stopped over midnight) is rotated at the first line', async () => {
    const dir = await tempDir();
    const file = join(dir, 'imspooler.log');
    await writeFile(file, `${line(1)}\n`);
    const yesterday = new Date('2026-11-24T12:00:00Z');
    await utimes(file, yesterday, yesterday);
    const log = openLogFile({
      file,
      maxBytes: 1e6,
      maxFiles: '14d',
      now: () => Date.parse('2026-11-25T08:00:00Z'),
    });
    log.write(line(2));
    log.close();
    expect(await read(join(dir, 'imspooler-2026-11-24.log'))).toEqual([line(1)]);
    expect(await read(file)).toEqual([line(2)]);
  });

  it('the daemon logger writes log.file (what a collector or tail -f is pointed at)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'log', 'imspooler.log');
    const log = makeEventLog({ level: 'info', file, stdout: false });
    log.event('daemon.started', 'success', 'imspooler started');
    await log.close();
    expect(await readdir(join(dir, 'log'))).toEqual(['imspooler.log']);
    expect(JSON.parse((await read(file))[0]!)).toMatchObject({
      message: 'imspooler started',
      event: { action: 'daemon.started' },
    });
  });

  it('retention: days keep that many dates, a number keeps that many files with the live one', () => {
    const f = (date: string, n = 0) => ({ name: `${date}.${n}`, date, n });
    const rotated = [f('2026-11-10'), f('2026-11-11'), f('2026-11-24'), f('2026-11-24', 1)];
    expect(filesToPrune(rotated, '14d', '2026-11-24')).toEqual(['2026-11-10.0']);
    expect(filesToPrune(rotated, 3, '2026-11-24')).toEqual(['2026-11-10.0', '2026-11-11.0']);
  });
});

describe('issue 10.3b: after ENOSPC the log file resumes and says how many lines it lost', () => {
  it('no half line stays, the lost lines are counted, the file resumes when space returns', async () => {
    const dir = await tempDir();
    const file = join(dir, 'imspooler.log');
    let full = false;
    let partial = false;
    const messages: string[] = [];
    const fs: LogFs = {
      ...nodeFs,
      writeSync: ((fd: number, buf: Buffer, off: number, len: number) => {
        const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
        if (full && !partial) throw enospc;
        if (full && partial) {
          // The disk fills in the middle of a line: half of it is written, then ENOSPC.
          partial = false;
          return nodeFs.writeSync(fd, buf, off, Math.floor(len / 2));
        }
        return nodeFs.writeSync(fd, buf, off, len);
      }) as LogFs['writeSync'],
    };
    const log = openLogFile({
      file,
      maxBytes: 1e6,
      maxFiles: '14d',
      fs,
      onError: (m) => messages.push(m),
    });
    log.write(line(0));
    log.write(line(1));
    full = partial = true;
    for (let n = 2; n <= 4; n++) log.write(line(n));
    full = false;
    log.write(line(5));
    log.write(line(6));
    log.close();

    const lines = await read(file);
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
    expect(lines[0]).toBe(line(0));
    expect(lines[1]).toBe(line(1));
    expect(JSON.parse(lines[2]!)).toMatchObject({
      'log.level': 'warn',
      message: expect.stringMatching(/^3 log line\(s\) could not be written .*ENOSPC/) as string,
      imspooler: { log_lines_lost: 3, error_code: 'ENOSPC' },
    });
    expect(lines.slice(3)).toEqual([line(5), line(6)]);
    // Said once when it started and once when it resumed, not once per line.
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/cannot write the log file .*ENOSPC/);
    expect(messages[1]).toMatch(/written again; 3 line\(s\) were lost/);
  });
});
