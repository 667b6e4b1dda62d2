import { Writable } from 'node:stream';
import winston from 'winston';
import { ecsFormat } from '@elastic/ecs-winston-format';
import { describe, it, expect } from 'vitest';
import { consoleFormatFor, escape, prettyLine } from '../../src/log/pretty-format.js';
import { ecsFieldsFor } from '../../src/log/ecs-fields.js';

const id = '0123456789abcdef'.repeat(4);

/** Runs one line through the logger the way logger.ts builds it: ECS first, then the console format. */
function render(mode: 'pretty' | 'json', isTTY: boolean, message: string, meta: object): string[] {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  const logger = winston.createLogger({
    format: ecsFormat(),
    transports: [
      new winston.transports.Stream({ stream: sink, format: consoleFormatFor(mode, isTTY) }),
    ],
  });
  logger.info(message, meta);
  return out.join('').split('\n').filter(Boolean);
}

describe('pretty console format', () => {
  it('writes one compact line with the fields a person looks for', () => {
    const meta = ecsFieldsFor('delivery.deferred', 'failure', {
      itemId: id,
      filePath: '/home/a/History Spooler/m1.json',
      attempt: 2,
      error: { code: 'ErrorServerBusy', message: 'busy' },
      nextAttemptAt: '2026-11-24T10:05:00.000Z',
    });
    const line = prettyLine(
      {
        '@timestamp': '2026-11-24T10:00:03.120Z',
        'log.level': 'warn',
        message: 'server busy',
        ...meta,
      },
      true,
    );
    expect(line).toBe(
      '10:00:03 warn  delivery.deferred failure item=0123456789ab file=m1.json attempt=2 ' +
        'error=ErrorServerBusy next=10:05:00 server busy',
    );
  });

  it('escapes control characters so a subject or file name cannot forge a line', () => {
    const lines = render('pretty', true, 'subject\n10:00:00 info  delivery.succeeded success', {
      ...ecsFieldsFor('item.quarantined', 'failure', {
        filePath: '/s/evil\nname\u001b[31m.json',
        error: { code: 'InvalidJson', message: 'x' },
      }),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('file=evil\\nname\\x1b[31m.json');
    expect(lines[0]).toContain('subject\\n10:00:00 info');
    expect(lines[0]).not.toContain('\u001b');
  });

  it('shortens Windows paths to the file name on any platform', () => {
    const line = prettyLine({
      message: 'm',
      file: { path: 'C:\\Users\\a\\History Spooler\\x.json' },
    });
    expect(line).toContain(' file=x.json ');
  });

  it('quotes values with spaces so they cannot pass for another field', () => {
    const line = prettyLine({ message: 'm', file: { path: '/s/a error=Fake.json' } }, true);
    expect(line).toContain('file="a error=Fake.json"');
  });

  it('keeps the contract’s JSON line unless asked for pretty on a terminal', () => {
    const meta = ecsFieldsFor('daemon.started', 'success', {});
    for (const [mode, tty] of [
      ['json', true],
      ['pretty', false],
      ['json', false],
    ] as const) {
      const lines = render(mode, tty, 'started', meta);
      expect(lines).toHaveLength(1);
      const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(rec).toMatchObject({ message: 'started', 'log.level': 'info' });
      expect((rec.event as Record<string, unknown>).action).toBe('daemon.started');
    }
    expect(render('pretty', true, 'started', meta)[0]).toMatch(
      /^\d\d:\d\d:\d\d info {2}daemon\.started success started$/,
    );
  });

  it.each([
    ['a\r\nb', 'a\\r\\nb'],
    ['tab\there', 'tab\\there'],
    ['CONTOSO\\bob', 'CONTOSO\\bob'],
    ['line\u2028sep', 'line\\u2028sep'],
    ['bell\u0007', 'bell\\x07'],
    ['Zürich ✓', 'Zürich ✓'],
  ])('escape(%j)', (input, expected) => {
    expect(escape(input)).toBe(expected);
  });
});
