import { afterEach, describe, expect, it } from 'vitest';
import { jsonItem, makeWorld, waitUntil, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

describe('health and metrics of the running daemon', () => {
  it('/healthz turns degraded while the server fails every request and ok again when it recovers', async () => {
    world = await makeWorld(
      { metrics: { listen: '127.0.0.1:0', degradedAfter: { ewsFailing: '0s' } } },
      { http503: true },
    );
    const daemon = world.start();
    const line = await daemon.waitForLine(
      (l) => /health and metrics at/.test(l.message),
      'metrics URL',
    );
    const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line.message)![1]!;
    expect((await get(`${base}/healthz`)).status).toBe(200);

    await world.drop('h.json', jsonItem(1, ['bob@contoso.com']));
    await daemon.waitForLine((l) => l.event?.action === 'delivery.deferred', 'a deferral');
    const degraded = await get(`${base}/healthz`);
    expect(degraded.status).toBe(503);
    expect(JSON.parse(degraded.body)).toMatchObject({ status: 'degraded' });
    const metrics = (await get(`${base}/metrics`)).body;
    expect(metrics).toMatch(/imspooler_deliveries_total\{outcome="deferred"\} 1/);
    expect(metrics).toMatch(/imspooler_ews_errors_total\{code="Http503"\} 1/);

    world.sandbox.faults.clear();
    expect((await world.cli('retry', '--all')).code).toBe(0);
    await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.succeeded',
      'delivery after recovery',
    );
    const ok = await waitUntil(async () => {
      const r = await get(`${base}/healthz`);
      return r.status === 200 ? r : undefined;
    }, 'healthz ok again');
    expect(JSON.parse(ok!.body)).toMatchObject({ status: 'ok' });
    expect((await get(`${base}/metrics`)).body).toMatch(
      /imspooler_deliveries_total\{outcome="succeeded"\} 1/,
    );
  }, 40_000);

  it("imspooler_items changes when an item's state does: a scrape right after a delete shows it", async () => {
    world = await makeWorld({ metrics: { listen: '127.0.0.1:0' } }, { http503: true });
    const daemon = world.start();
    const line = await daemon.waitForLine(
      (l) => /health and metrics at/.test(l.message),
      'metrics URL',
    );
    const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line.message)![1]!;
    const gauge = async (name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await get(`${base}/metrics`)).body)?.[1]);

    await world.drop('m.json', jsonItem(1, ['bob@contoso.com']));
    const deferred = await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.deferred',
      'a deferral',
    );
    expect(await gauge('imspooler_items\\{state="deferred"\\}')).toBe(1);
    expect(await gauge('imspooler_oldest_item_age_seconds')).toBeGreaterThan(0);
    const id = deferred.imspooler!.item!.id!;

    expect((await world.cli('hold', id.slice(0, 12))).code).toBe(0);
    expect(await gauge('imspooler_items\\{state="deferred"\\}')).toBe(0);
    expect(await gauge('imspooler_items\\{state="held"\\}')).toBe(1);
    expect(await gauge('imspooler_oldest_item_age_seconds')).toBe(0);

    expect((await world.cli('delete', id.slice(0, 12))).code).toBe(0);
    expect(await gauge('imspooler_items\\{state="held"\\}')).toBe(0);
  }, 40_000);
});
