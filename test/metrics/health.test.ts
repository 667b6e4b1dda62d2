import { describe, it, expect } from 'vitest';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  evaluateHealth,
  isServerFailureCode,
} from '../../src/metrics/health.js';
import type { HealthInput } from '../../src/metrics/health.js';

const now = Date.parse('2026-11-24T10:00:00Z');
const min = 60_000;
const base: HealthInput = { now, folderProblems: [], thresholds: DEFAULT_HEALTH_THRESHOLDS };

describe('evaluateHealth', () => {
  it('is ok with nothing to report, and disk unknown when not measured', () => {
    const r = evaluateHealth(base);
    expect(r.status).toBe('ok');
    expect(r.reasons).toEqual([]);
    expect(r.checks.disk.status).toBe('unknown');
  });

  it.each([
    [
      'EWS failing past the threshold',
      { ewsFailingSince: now - 11 * min },
      /EWS failing for 11 min/,
    ],
    [
      'oldest item too old',
      { oldestItemFirstSeenAt: now - 61 * min },
      /oldest item waiting for 61 min/,
    ],
    [
      'an unreadable spool folder',
      { folderProblems: [{ folder: '/spool/a', problem: 'EACCES' }] },
      /spool folder unreadable: \/spool\/a \(EACCES\)/,
    ],
    ['disk nearly full', { diskFreeBytes: 4, diskTotalBytes: 100 }, /disk nearly full: 4\.0% free/],
  ] as const)('is degraded for %s', (_name, extra, reason) => {
    const r = evaluateHealth({ ...base, ...extra });
    expect(r.status).toBe('degraded');
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(reason);
  });

  it.each([
    ['EWS failing for less than the threshold', { ewsFailingSince: now - 9 * min }],
    ['a young oldest item', { oldestItemFirstSeenAt: now - 59 * min }],
    ['enough disk space', { diskFreeBytes: 50, diskTotalBytes: 100 }],
  ] as const)('stays ok with %s', (_name, extra) => {
    expect(evaluateHealth({ ...base, ...extra }).status).toBe('ok');
  });

  it('lists every reason at once', () => {
    const r = evaluateHealth({
      ...base,
      ewsFailingSince: now - 30 * min,
      oldestItemFirstSeenAt: now - 2 * 60 * min,
      folderProblems: [{ folder: '/s', problem: 'ENOENT' }],
      diskFreeBytes: 1,
      diskTotalBytes: 1000,
    });
    expect(r.reasons).toHaveLength(4);
    expect(r.checks.ews.failingSince).toBe('2026-11-24T09:30:00.000Z');
  });

  it('recovers to ok once the failure clock is cleared', () => {
    const failing = { ...base, ewsFailingSince: now - 20 * min };
    expect(evaluateHealth(failing).status).toBe('degraded');
    const { ewsFailingSince: _cleared, ...recovered } = failing;
    expect(evaluateHealth({ ...recovered, lastDeliverySuccessAt: now }).status).toBe('ok');
  });
});

describe('the queue database in /healthz', () => {
  it('is degraded while commits fail (SQLITE_FULL, SQLITE_IOERR), saying which and since when', () => {
    const r = evaluateHealth({
      ...base,
      storageProblem: { code: 'SQLITE_FULL', since: now - min },
    });
    expect(r.status).toBe('degraded');
    expect(r.reasons).toEqual([
      'the queue database cannot be written: SQLITE_FULL (since 2026-11-24T09:59:00.000Z); new files wait in the spool folder',
    ]);
    expect(r.checks.queueDatabase).toEqual({
      status: 'degraded',
      problem: 'SQLITE_FULL',
      since: '2026-11-24T09:59:00.000Z',
    });
    expect(evaluateHealth(base).checks.queueDatabase).toEqual({ status: 'ok' });
  });
});

describe('isServerFailureCode', () => {
  it.each(['ErrorServerBusy', 'Http503', 'Http401', 'Timeout', 'ConnectionReset', 'HostNotFound'])(
    '%s means the server is failing',
    (code) => expect(isServerFailureCode(code)).toBe(true),
  );
  it.each(['ErrorInvalidRecipients', 'ErrorNonExistentMailbox', 'Aborted', 'InvalidJson'])(
    '%s is about one item, not the server',
    (code) => expect(isServerFailureCode(code)).toBe(false),
  );
});
