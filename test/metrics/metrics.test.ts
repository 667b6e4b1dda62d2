import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { makeMetrics } from '../../src/metrics/metrics.js';
import { DEFAULT_HEALTH_THRESHOLDS, evaluateHealth } from '../../src/metrics/health.js';
import { manualClock } from '../support/manual-clock.js';

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

function fed() {
  const clock = manualClock();
  const m = makeMetrics({ clock });
  m.observeEvent('item.claimed', 'success', { itemId: 'a'.repeat(64) });
  m.observeEvent('delivery.succeeded', 'success', { attempt: 1, durationMs: 420 });
  m.observeEvent('delivery.deferred', 'failure', {
    attempt: 2,
    durationMs: 1500,
    error: { code: 'ErrorServerBusy', message: 'busy' },
    nextAttemptAt: '2026-11-24T10:05:00Z',
  });
  m.observeEvent('delivery.failed', 'failure', {
    attempt: 1,
    durationMs: 80,
    error: { code: 'ErrorInvalidRecipients', message: 'no such user' },
  });
  m.observeEvent('item.expired', 'failure', {
    attempt: 9,
    durationMs: 30_000,
    error: { code: 'Http503', message: 'HTTP 503' },
  });
  m.observeEvent('item.quarantined', 'failure', { error: { code: 'InvalidJson', message: 'x' } });
  m.setQueueStats({ grace: 1, deferred: 2, failed: 1 }, clock.now() - 90_000);
  m.setServerBackoff(clock.now() + 30_000);
  return { clock, m };
}

describe('makeMetrics', () => {
  it('exposes the issue’s series with values a user would check', async () => {
    const { m } = fed();
    const text = await m.registry.metrics();
    expect(text).toContain('imspooler_items{state="deferred"} 2');
    expect(text).toContain('imspooler_items{state="incoming"} 0');
    expect(text).toContain('imspooler_items{state="grace"} 1');
    expect(text).toContain('imspooler_oldest_item_age_seconds 90');
    for (const outcome of ['succeeded', 'deferred', 'failed', 'expired']) {
      expect(text).toContain(`imspooler_deliveries_total{outcome="${outcome}"} 1`);
    }
    expect(text).toContain('imspooler_ews_errors_total{code="ErrorServerBusy"} 1');
    expect(text).toContain('imspooler_ews_errors_total{code="Http503"} 1');
    expect(text).toContain('imspooler_attempt_duration_seconds_count{outcome="succeeded"} 1');
    expect(text).toContain(
      'imspooler_attempt_duration_seconds_bucket{le="0.5",outcome="succeeded"} 1',
    );
    expect(text).toContain('imspooler_items_quarantined_total{code="InvalidJson"} 1');
    expect(text).toContain('imspooler_items_claimed_total 1');
    expect(text).toContain('imspooler_server_backoff_active 1');
    expect(text).toContain('imspooler_process_cpu_seconds_total');
    expect(text).not.toMatch(/^process_cpu/m);
  });

  it('computes ages and the back-off at scrape time from the clock', async () => {
    const { clock, m } = fed();
    await clock.advance(60_000);
    const text = await m.registry.metrics();
    expect(text).toContain('imspooler_oldest_item_age_seconds 150');
    expect(text).toContain('imspooler_server_backoff_active 0');
    expect(text).toContain('imspooler_server_backoff_until_seconds 0');
  });

  it('keeps a hostile error code from inflating label values', async () => {
    const m = makeMetrics({ clock: manualClock(), processMetrics: false });
    m.observeEvent('delivery.deferred', 'failure', {
      error: { code: 'Error"}\nfake_metric 1', message: '' },
    });
    const text = await m.registry.metrics();
    expect(text).not.toMatch(/^fake_metric/m);
    expect(text).toContain('imspooler_ews_errors_total{code="Error___fake_metric_1"} 1');
  });

  it.skipIf(!promtool)(
    'passes promtool check metrics (skipped when promtool is absent: apt-get install prometheus)',
    async () => {
      const { m } = fed();
      const text = await m.registry.metrics();
      // promtool exits non-zero on errors and prints lint problems; both must be absent.
      const out = execFileSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(out.trim()).toBe('');
    },
  );
});

describe('health from observed events', () => {
  it('turns degraded when every attempt fails for long enough, and ok after one success', async () => {
    const clock = manualClock();
    const m = makeMetrics({ clock, processMetrics: false });
    const health = () =>
      evaluateHealth({
        ...m.healthState(),
        now: clock.now(),
        thresholds: DEFAULT_HEALTH_THRESHOLDS,
      });
    m.observeEvent('delivery.succeeded', 'success', { durationMs: 100 });
    for (let i = 0; i < 12; i++) {
      await clock.advance(60_000);
      m.observeEvent('delivery.deferred', 'failure', {
        durationMs: 0,
        error: { code: 'Http503', message: 'HTTP 503' },
      });
      // A bad recipient in between is the item's problem: it neither starts nor clears the clock.
      m.observeEvent('delivery.failed', 'failure', {
        error: { code: 'ErrorInvalidRecipients', message: '' },
      });
    }
    const degraded = health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.reasons.join()).toMatch(/EWS failing for 11 min/);
    m.observeEvent('delivery.succeeded', 'success', { durationMs: 100 });
    expect(health().status).toBe('ok');
    expect(health().checks.ews.lastSuccessAt).toBe(new Date(clock.now()).toISOString());
  });

  it('ignores attempts abandoned at shutdown (outcome unknown)', () => {
    const clock = manualClock();
    const m = makeMetrics({ clock, processMetrics: false });
    m.observeEvent('delivery.deferred', 'unknown', { error: { code: 'Aborted', message: '' } });
    m.observeEvent('delivery.deferred', 'unknown', { error: { code: 'Timeout', message: '' } });
    expect(m.healthState().ewsFailingSince).toBeUndefined();
  });

  it('reports unreadable folders until they are readable again', () => {
    const m = makeMetrics({ clock: manualClock(), processMetrics: false });
    m.noteFolderProblem('/spool/a', 'EACCES');
    expect(m.healthState().folderProblems).toEqual([{ folder: '/spool/a', problem: 'EACCES' }]);
    m.noteFolderProblem('/spool/a', undefined);
    expect(m.healthState().folderProblems).toEqual([]);
  });
});
