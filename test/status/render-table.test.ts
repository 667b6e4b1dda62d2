import { describe, expect, it } from 'vitest';
import { formatAge, renderStatusTable } from '../../src/status/render-table.js';
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
    expect(lines.find((l) => l.startsWith('- '))).toMatch(/grace +- +20s +0 +in 1m/);
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
});
