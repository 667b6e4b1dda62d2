import { describe, expect, it } from 'vitest';
import { win32 } from 'node:path';
import { formatAge, graceLabel, renderStatusTable } from '../../src/status/render-table.js';
import { buildStatusDoc } from '../../src/status/status-doc.js';
import { deferredMeta, iso, makeMeta, NOW } from './fixtures.js';

describe('formatAge', () => {
  it('reads like a person says it', () => {
    expect(formatAge(-5)).toBe('0s');
    expect(formatAge(42_000)).toBe('42s');
    expect(formatAge(3 * 60_000 + 10_000)).toBe('3m');
    expect(formatAge(2 * 3_600_000 + 5 * 60_000)).toBe('2h 5m');
    expect(formatAge(5 * 3_600_000)).toBe('5h');
    expect(formatAge(4 * 86_400_000)).toBe('4d');
  });
});

describe('renderStatusTable', () => {
  const doc = buildStatusDoc({
    now: NOW,
    daemon: { pid: 4242, startedAt: iso(0) },
    items: [
      deferredMeta('b'.repeat(64), 3),
      makeMeta({
        id: 'c'.repeat(64),
        state: 'held',
        heldReason: 'held by carol',
        envelope: {
          from: 'eve\u001b[31m@contoso.com',
          to: ['bob@contoso.com'],
          cc: ['dave@fabrikam.com'],
        },
      }),
    ],
    grace: [
      {
        path: '/spool/new.json',
        firstSeenAt: iso(20_000),
        dueAt: new Date(NOW + 100_000).toISOString(),
        size: 5,
      },
    ],
  });
  const text = renderStatusTable(doc);
  const lines = text.split('\n');

  it('has a column per thing support staff ask about, one row per item, and a summary line', () => {
    expect(lines[0]).toBe('daemon: running (pid 4242)');
    expect(lines[2]).toMatch(/^ID +STATE +KIND +AGE +TRIES +NEXT +LAST ERROR +FROM +TO$/);
    const deferred = lines.find((l) => l.startsWith('bbbbbbbbbbbb '))!;
    expect(deferred.split(/ {2,}/)).toEqual([
      'bbbbbbbbbbbb',
      'deferred',
      'im',
      '5m',
      '3',
      'in 1m',
      'ErrorServerBusy',
      'alice@contoso.com',
      'bob@contoso.com',
    ]);
    const held = lines.find((l) => l.startsWith('cccccccccccc '))!;
    expect(held).toMatch(/held +im +5m +0 +held +held by carol/);
    expect(held).toContain('bob@contoso.com, dave@fabrikam.com');
    expect(lines.find((l) => l.startsWith('- '))).toMatch(
      /grace +- +20s +0 +in 1m +- +\? +\(not read yet\) new\.json$/,
    );
    expect(lines.at(-1)).toBe(
      '3 item(s): 1 in grace, 0 queued, 0 active, 1 deferred, 1 held, 0 failed, 0 quarantined',
    );
  });

  it('never lets control characters from a spool file reach the terminal', () => {
    expect(text).not.toContain('\u001b');
    expect(text).toContain('eve?[31m@contoso.com');
  });

  it('a narrowed view says what it shows and still sums up the whole queue', () => {
    const narrowed = buildStatusDoc({
      now: NOW,
      daemon: undefined,
      items: [deferredMeta('b'.repeat(64))],
      grace: [],
      states: ['held'],
    });
    const t = renderStatusTable(narrowed);
    expect(t).not.toContain('bbbbbbbbbbbb');
    expect(t.split('\n').at(-1)).toBe(
      '0 of 1 item(s) shown (--state held); whole queue: 0 in grace, 0 queued, 0 active, 1 deferred, 0 held, 0 failed, 0 quarantined',
    );
  });

  it('an empty queue is one line about the daemon and the summary', () => {
    expect(
      renderStatusTable(buildStatusDoc({ now: NOW, daemon: undefined, items: [], grace: [] })),
    ).toBe(
      'daemon: not running (items wait until it starts)\n\n0 item(s): 0 in grace, 0 queued, 0 active, 0 deferred, 0 held, 0 failed, 0 quarantined',
    );
  });

  it('an empty queue names the state folder and the config file it was read from', () => {
    const t = renderStatusTable(
      buildStatusDoc({
        now: NOW,
        daemon: undefined,
        items: [],
        grace: [],
        readFrom: { stateDir: '/home/bob/var', configFile: '/home/bob/repo/config/default.json' },
      }),
    );
    expect(t.split('\n').at(-1)).toBe(
      'queue read from /home/bob/var (config: /home/bob/repo/config/default.json); a different queue? pass --config FILE or set IMSPOOLER_CONFIG',
    );
    // A queue with something in it is evidently the right one: no such line.
    const busy = renderStatusTable(
      buildStatusDoc({
        now: NOW,
        daemon: undefined,
        items: [deferredMeta('b'.repeat(64))],
        grace: [],
        readFrom: { stateDir: '/home/bob/var', configFile: null },
      }),
    );
    expect(busy).not.toContain('queue read from');
  });

  it('a file in its grace period shows the sip user and the file name, not a path cut short', () => {
    const dir = win32.join(
      'C:\\Users\\alice\\AppData\\Local\\Microsoft\\Office\\16.0\\Lync',
      'sip_alice@contoso.com',
      'History Spooler',
    );
    const path = win32.join(dir, '{3F2504E0-4F89-11D3-9A0C-0305E82C3301}.xml');
    expect(graceLabel(path)).toEqual({
      user: 'alice@contoso.com',
      file: '{3F2504E0-4F89-11D3-9A0C-0305E82C3301}.xml',
    });
    expect(graceLabel('/home/alice/Lync/sip_bob@contoso.com/History Spooler/x.json')).toEqual({
      user: 'bob@contoso.com',
      file: 'x.json',
    });
    // A spool folder configured by hand may not name the user.
    expect(graceLabel('D:\\spool\\x.json')).toEqual({ user: undefined, file: 'x.json' });

    const t = renderStatusTable(
      buildStatusDoc({
        now: NOW,
        daemon: { pid: 1, startedAt: iso(0) },
        items: [],
        grace: [{ path, firstSeenAt: iso(30_000), dueAt: iso(-60_000), size: 9 }],
      }),
    );
    const row = t.split('\n').find((l) => l.startsWith('- '))!;
    expect(row.split(/ {2,}/)).toEqual([
      '-',
      'grace',
      '-',
      '30s',
      '0',
      'in 1m',
      '-',
      'alice@contoso.com',
      '(not read yet) {3F2504E0-4F89-11D3-9A0C-0305E82C3301}.xml',
    ]);
    expect(row).not.toContain('AppData');
  });
});
