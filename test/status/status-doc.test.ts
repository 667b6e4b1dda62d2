import { describe, expect, it } from 'vitest';
import { renderStatusTable } from '../../src/status/render-table.js';
import { buildStatusDoc, parseStateFilter } from '../../src/status/status-doc.js';
import { deferredMeta, iso, makeMeta, NOW } from './fixtures.js';
import { schemaErrors, validateStatus } from './schema-validator.js';

const ids = {
  a: 'a'.repeat(64),
  b: 'b'.repeat(64),
  c: 'c'.repeat(64),
  d: 'd'.repeat(64),
  e: 'e'.repeat(64),
};

const mixed = () => [
  makeMeta({ id: ids.a }),
  deferredMeta(ids.b),
  makeMeta({ id: ids.c, state: 'held', heldReason: 'held by carol' }),
  makeMeta({
    id: ids.d,
    state: 'failed',
    lastError: { code: 'ErrorInvalidRecipients', message: 'bad' },
  }),
  makeMeta({
    id: ids.e,
    state: 'quarantined',
    quarantine: { code: 'InvalidJson', message: 'not JSON' },
    firstSeenAt: iso(1000),
  }),
];

describe('buildStatusDoc', () => {
  it('counts every state, calls the incoming folder "queued", and validates against the schema', () => {
    const doc = buildStatusDoc({
      now: NOW,
      daemon: { pid: 4242, startedAt: iso(60_000) },
      items: mixed(),
      grace: [],
    });
    expect(doc.counts).toEqual({
      grace: 0,
      queued: 1,
      active: 0,
      deferred: 1,
      held: 1,
      failed: 1,
      quarantined: 1,
    });
    expect(doc.items.map((i) => i.state)).toEqual([
      'queued',
      'deferred',
      'held',
      'failed',
      'quarantined',
    ]);
    expect(doc.daemon).toEqual({ running: true, pid: 4242, startedAt: iso(60_000) });
    expect(doc.items[1]).toMatchObject({
      attempts: 2,
      nextAttemptAt: expect.any(String),
      lastError: { code: 'ErrorServerBusy' },
    });
    // A quarantined item shows its reason where the last error goes.
    expect(doc.items[4]!.lastError).toEqual({ code: 'InvalidJson', message: 'not JSON' });
    expect(schemaErrors(validateStatus, doc)).toBe('');
  });

  it('an empty queue without a daemon is valid and says so', () => {
    const doc = buildStatusDoc({ now: NOW, daemon: undefined, items: [], grace: [] });
    expect(doc.daemon).toEqual({ running: false });
    expect(schemaErrors(validateStatus, doc)).toBe('');
    expect(renderStatusTable(doc)).toContain('daemon: not running');
  });

  it('--state narrows items and grace but keeps the counts of the whole queue', () => {
    const grace = [
      {
        path: '/s/x.json',
        firstSeenAt: iso(10_000),
        dueAt: new Date(NOW + 110_000).toISOString(),
        size: 10,
      },
    ];
    const doc = buildStatusDoc({
      now: NOW,
      daemon: { pid: 1, startedAt: iso(0) },
      items: mixed(),
      grace,
      states: ['deferred', 'failed'],
    });
    expect(doc.items.map((i) => i.id)).toEqual([ids.b, ids.d]);
    expect(doc.grace).toEqual([]);
    expect(doc.counts.grace).toBe(1);
    expect(doc.filter).toEqual({ states: ['deferred', 'failed'] });
    expect(schemaErrors(validateStatus, doc)).toBe('');
    const withGrace = buildStatusDoc({
      now: NOW,
      daemon: undefined,
      items: mixed(),
      grace,
      states: ['grace'],
    });
    expect(withGrace.items).toEqual([]);
    expect(withGrace.grace).toHaveLength(1);
  });

  it('the schema rejects what the contract rules out', () => {
    const doc = buildStatusDoc({ now: NOW, daemon: undefined, items: mixed(), grace: [] });
    expect(
      schemaErrors(validateStatus, { ...doc, counts: { ...doc.counts, queued: -1 } }),
    ).not.toBe('');
    expect(
      schemaErrors(validateStatus, { ...doc, items: [{ ...doc.items[0], state: 'incoming' }] }),
    ).not.toBe('');
    expect(
      schemaErrors(validateStatus, { ...doc, items: [{ ...doc.items[0], id: '../../x' }] }),
    ).not.toBe('');
    expect(schemaErrors(validateStatus, { ...doc, daemon: { running: true } })).not.toBe('');
    const { nextAttemptAt: _n, ...noNext } = doc.items[1]!;
    expect(schemaErrors(validateStatus, { ...doc, items: [noNext] })).toMatch(/nextAttemptAt/);
  });
});

describe('parseStateFilter', () => {
  it('accepts comma-separated states in any case, with incoming as queued, without duplicates', () => {
    expect(parseStateFilter(undefined)).toBeUndefined();
    expect(parseStateFilter('Deferred, failed')).toEqual(['deferred', 'failed']);
    expect(parseStateFilter('incoming,queued,grace')).toEqual(['queued', 'grace']);
  });

  it('names what is allowed when a state is unknown or none is given', () => {
    expect(() => parseStateFilter('delivered')).toThrow(
      /"delivered" is not a state; expected one or more of grace, queued, active/,
    );
    expect(() => parseStateFilter(' , ')).toThrow(/give one or more of/);
  });
});
