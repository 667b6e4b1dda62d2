import { request } from 'node:http';
import { describe, it, expect, afterEach } from 'vitest';
import { isConfigError } from '../../src/errors/errors.js';
import { DEFAULT_HEALTH_THRESHOLDS } from '../../src/metrics/health.js';
import { makeHealthProbe } from '../../src/metrics/health-probe.js';
import { parseListenAddress } from '../../src/metrics/listen-address.js';
import { makeMetrics } from '../../src/metrics/metrics.js';
import { withMetrics } from '../../src/metrics/metrics-event-log.js';
import type { MetricsServer } from '../../src/metrics/metrics-server.js';
import { startMetricsServer } from '../../src/metrics/metrics-server.js';
import { makeMemoryEventLog } from '../../src/log/logger.js';
import { manualClock } from '../support/manual-clock.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function setup(disk = { free: 500, total: 1000 }) {
  const clock = manualClock();
  const metrics = makeMetrics({ clock, processMetrics: false });
  const health = makeHealthProbe({
    metrics,
    clock,
    thresholds: DEFAULT_HEALTH_THRESHOLDS,
    stateDir: '/unused',
    diskUsage: async () => disk,
  });
  return { clock, metrics, health };
}

/** A GET with a chosen Host header (fetch does not let a test set it). */
function get(url: string, host?: string) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request(url, { headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startMetricsServer', () => {
  it('answers /metrics in Prometheus format and /healthz as JSON on 127.0.0.1', async () => {
    const { metrics, health } = setup();
    metrics.observeEvent('delivery.succeeded', 'success', { durationMs: 10 });
    server = await startMetricsServer({ listen: '127.0.0.1:0', metrics, health });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const m = await get(`${server.url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toContain('imspooler_deliveries_total{outcome="succeeded"} 1');

    const h = await get(`${server.url}/healthz`);
    expect(h.status).toBe(200);
    expect(h.type).toBe('application/json');
    expect(JSON.parse(h.body)).toMatchObject({ status: 'ok', reasons: [] });

    expect((await get(`${server.url}/other`)).status).toBe(404);
  });

  it('answers 503 with reasons while degraded, and 200 again after recovery', async () => {
    const { clock, metrics, health } = setup();
    const log = withMetrics(makeMemoryEventLog(), metrics);
    server = await startMetricsServer({ listen: 'localhost:0', metrics, health });
    for (let i = 0; i < 15; i++) {
      log.event('delivery.deferred', 'failure', 'server busy', {
        attempt: i + 1,
        error: { code: 'ErrorServerBusy', message: 'busy' },
      });
      await clock.advance(60_000);
    }
    const bad = await get(`${server.url}/healthz`);
    expect(bad.status).toBe(503);
    const report = JSON.parse(bad.body) as { status: string; reasons: string[] };
    expect(report.status).toBe('degraded');
    expect(report.reasons[0]).toMatch(/^EWS failing for 15 min/);

    log.event('delivery.succeeded', 'success', 'delivered', { attempt: 16, durationMs: 50 });
    const good = await get(`${server.url}/healthz`);
    expect(good.status).toBe(200);
    expect(JSON.parse(good.body)).toMatchObject({ status: 'ok' });
  });

  it('reports a nearly full disk', async () => {
    const { metrics, health } = setup({ free: 10, total: 1000 });
    server = await startMetricsServer({ listen: '127.0.0.1:0', metrics, health });
    const h = await get(`${server.url}/healthz`);
    expect(h.status).toBe(503);
    expect(h.body).toContain('disk nearly full');
  });

  it('refuses a request whose Host is not loopback (DNS rebinding)', async () => {
    const { metrics, health } = setup();
    server = await startMetricsServer({ listen: '127.0.0.1:0', metrics, health });
    expect((await get(`${server.url}/metrics`, 'evil.example:9464')).status).toBe(403);
  });

  it.each(['0.0.0.0:9464', '192.168.1.10:9464', '[::]:9464', 'example.com:9464', ':9464'])(
    'refuses to listen on %s',
    async (listen) => {
      const { metrics, health } = setup();
      const err = await startMetricsServer({ listen, metrics, health }).catch((e: unknown) => e);
      expect(isConfigError(err)).toBe(true);
      expect(String((err as Error).message)).toMatch(/^metrics\.listen: /);
    },
  );
});

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['localhost:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    ['127.0.0.2:1', { host: '127.0.0.2', port: 1 }],
  ])('accepts %s', (value, expected) => {
    expect(parseListenAddress(value)).toEqual(expected);
  });

  it('says what is allowed', () => {
    expect(() => parseListenAddress('0.0.0.0:9464')).toThrow(/only a loopback address/);
    expect(() => parseListenAddress('127.0.0.1:70000')).toThrow(/0-65535/);
    expect(() => parseListenAddress('9464')).toThrow(/host:port/);
  });
});

describe('statfsUsage', () => {
  it('measures the file system of a real folder', async () => {
    const { statfsUsage } = await import('../../src/metrics/health-probe.js');
    const { tmpdir } = await import('node:os');
    const u = await statfsUsage(tmpdir());
    expect(u.total).toBeGreaterThan(0);
    expect(u.free).toBeGreaterThanOrEqual(0);
    expect(u.free).toBeLessThanOrEqual(u.total);
  });
});
