import { afterEach, describe, expect, it } from 'vitest';
import { jsonItem, makeWorld, waitUntil, type World } from '../e2e/harness.js';
import { deliveredHeaders, isAction, startDaemon, status, stopDaemon } from './helpers.js';

/**
 * Server faults against the sandbox (issue 4, part 2), with the real daemon process. Throttling
 * with BackOffMilliseconds and a reset after the server accepted are in test/e2e/faults.test.ts.
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const deferred = isAction('delivery.deferred');
const succeeded = isAction('delivery.succeeded');

describe('issue 10.2: a server back-off holds the next group of an item already under way', () => {
  it('EWS BackOffMilliseconds answered to another item: the next group waits it out', async () => {
    // A's first group (org) is answered slowly; while it is on the wire, B is answered with a
    // back-off. A's next group (fed) must not reach the server before the back-off is over.
    world = await makeWorld(
      { delivery: { concurrency: 2, ews: { timeout: '20s' } } },
      { slowMs: { ms: 4000, count: 1, on: ['CreateItem'] } },
    );
    const d = await startDaemon(world);
    await world.drop('a.json', jsonItem(1, ['bob@contoso.com', 'carol@fabrikam.com']));
    const creates = () => world!.sandbox.requests.filter((r) => r.operation === 'CreateItem');
    await waitUntil(() => creates().length === 1, "A's first group on the wire");
    world.sandbox.faults.set({ serverBusy: { backOffMs: 4000, count: 1, on: ['CreateItem'] } });
    await world.drop('b.json', jsonItem(2, ['dave@contoso.com']));
    await waitUntil(() => d.actions('delivery.succeeded').length === 2, 'both delivered', 30_000);
    expect(await stopDaemon(d)).toBe(0);

    const at = (r: { at: string }) => Date.parse(r.at);
    const aOrg = creates()[0]!;
    const busy = creates().find((r) => r.status === 500)!;
    const aFed = creates().find((r) => r.body.includes('carol@fabrikam.com'))!;
    expect(aOrg.body).toContain('bob@contoso.com');
    expect(busy.body).toContain('dave@contoso.com');
    // The back-off was answered while A's first group was still on the wire...
    expect(at(busy)).toBeLessThan(at(aOrg) + 4000);
    // ...and A's next group reached the server only after it was over (today: ~4 s after aOrg).
    expect(at(aFed)).toBeGreaterThanOrEqual(at(busy) + 4000);
    expect(await deliveredHeaders(world)).toHaveLength(3);
  }, 60_000);
});

describe('server faults', () => {
  it('ErrorServerBusy without BackOffMilliseconds: deferred with a next attempt, then delivered once', async () => {
    world = await makeWorld({}, { serverBusy: { count: 1, on: ['CreateItem'] } });
    const d = await startDaemon(world);
    await world.drop('busy.json', jsonItem(1, ['bob@contoso.com']));
    const line = await d.waitForLine(deferred, 'a deferral');
    expect(line.error?.code).toBe('ErrorServerBusy');
    expect(line['log.level']).toBe('warn');
    expect(Date.parse(line.imspooler!.next_attempt_at!)).toBeGreaterThan(
      Date.parse(line['@timestamp'] as string),
    );
    await d.waitForLine(succeeded, 'delivery');
    expect(await deliveredHeaders(world)).toHaveLength(1);
    expect(world.sandbox.stats.createItem).toBe(1);
    expect(await stopDaemon(d)).toBe(0);
  });

  it('HTTP 503: deferred with backoff (later each time), then delivered once', async () => {
    world = await makeWorld({}, { http503: { count: 2 } });
    const d = await startDaemon(world);
    await world.drop('503.json', jsonItem(2, ['bob@contoso.com']));
    await d.waitForLine(succeeded, 'delivery after two 503s');
    const lines = d.actions('delivery.deferred');
    expect(lines.map((l) => l.error?.code)).toEqual(['Http503', 'Http503']);
    expect(lines.map((l) => l.imspooler?.attempt)).toEqual([1, 2]);
    for (const l of lines) expect(l.imspooler?.next_attempt_at).toBeTruthy();
    expect(await deliveredHeaders(world)).toHaveLength(1);
  });

  it('HTTP 401: deferred with a reason that points at the credentials, never the password', async () => {
    world = await makeWorld({}, { http401: { count: 1 } });
    const d = await startDaemon(world);
    await world.drop('401.json', jsonItem(3, ['bob@contoso.com']));
    const line = await d.waitForLine(deferred, 'a deferral');
    expect(line.error?.code).toBe('Http401');
    expect(line.message).toMatch(/credential/i);
    await d.waitForLine(succeeded, 'delivery once the server accepts');
    expect(JSON.stringify(d.lines)).not.toContain(world.env.IMSPOOLER_EWS_PASSWORD);
    expect(await deliveredHeaders(world)).toHaveLength(1);
  });

  it('connection reset before the server accepted: retried, delivered once', async () => {
    world = await makeWorld({}, { dropBeforeAccept: { count: 1, on: ['CreateItem'] } });
    const d = await startDaemon(world);
    await world.drop('reset.json', jsonItem(4, ['bob@contoso.com']));
    const line = await d.waitForLine(deferred, 'a deferral');
    expect(line.error?.code).toBe('ConnectionReset');
    await d.waitForLine(succeeded, 'delivery');
    expect(await deliveredHeaders(world)).toHaveLength(1);
    expect(world.sandbox.stats.createItem).toBe(1);
  });

  it('an answer slower than delivery.ews.timeout: a Timeout, then the saved copy is found, not resent', async () => {
    world = await makeWorld(
      { delivery: { ews: { timeout: '1s' } } },
      { slowMs: { ms: 2500, count: 1, on: ['CreateItem'] } },
    );
    const d = await startDaemon(world);
    await world.drop('slow.json', jsonItem(5, ['bob@contoso.com']));
    const line = await d.waitForLine(deferred, 'a deferral');
    expect(line.error?.code).toBe('Timeout');
    // The deferral came at the timeout, not when the late answer arrived.
    expect(line.event?.duration).toBeLessThan(2_000_000_000);
    await d.waitForLine(succeeded, 'delivery', 15_000);
    expect(await deliveredHeaders(world)).toHaveLength(1);
    expect(world.sandbox.stats.createItem).toBe(1);
    expect(world.sandbox.stats.findItem).toBeGreaterThanOrEqual(1);
  });

  it('per-recipient errors: a permanent one fails that item with its code; the others go through', async () => {
    world = await makeWorld(
      {},
      {
        recipientErrors: {
          'nobody@contoso.com': 'ErrorInvalidRecipients',
          'moving@contoso.com': { code: 'ErrorMailboxStoreUnavailable', count: 1 },
        },
      },
    );
    const d = await startDaemon(world);
    await world.drop('bad.json', jsonItem(6, ['nobody@contoso.com']));
    await world.drop('moving.json', jsonItem(7, ['moving@contoso.com']));
    await world.drop('good.json', jsonItem(8, ['bob@contoso.com']));
    const failed = await d.waitForLine(isAction('delivery.failed'), 'a permanent failure');
    expect(failed.error?.code).toBe('ErrorInvalidRecipients');
    expect(failed['log.level']).toBe('error');
    await waitUntil(() => d.actions('delivery.succeeded').length === 2, 'the two others delivered');
    expect(d.actions('delivery.deferred').map((l) => l.error?.code)).toEqual([
      'ErrorMailboxStoreUnavailable',
    ]);
    const s = await status(world);
    expect(s.items).toHaveLength(1);
    expect(s.items[0]).toMatchObject({
      state: 'failed',
      lastError: { code: 'ErrorInvalidRecipients' },
    });
    expect(s.items[0]!.source).toMatch(/bad\.json$/);
    // A permanent failure is not retried by itself.
    expect(d.actions('delivery.failed')).toHaveLength(1);
  });

  it('ErrorExceededConnectionCount: the daemon sends fewer requests at once', async () => {
    world = await makeWorld(
      { delivery: { concurrency: 4 } },
      {
        slowMs: { ms: 400, on: ['CreateItem'] },
        responseCode: { code: 'ErrorExceededConnectionCount', count: 2 },
      },
    );
    const d = await startDaemon(world);
    for (let i = 0; i < 12; i++)
      await world.drop(`c-${i}.json`, jsonItem(20 + i, ['bob@contoso.com']));
    const warn = (l: { message: string }) => /too many connections/.test(l.message);
    await waitUntil(() => d.lines.filter(warn).length === 2, 'concurrency lowered twice');
    expect(world.sandbox.stats.maxInFlight).toBe(4);
    expect(d.lines.filter(warn).at(-1)!.imspooler).toMatchObject({ concurrency: 2 });
    // Requests already on the wire finish; after that, never more than two at once.
    await waitUntil(() => world!.sandbox.stats.inFlight <= 2, 'in-flight requests down to two');
    world.sandbox.stats.maxInFlight = 0;
    await waitUntil(() => d.actions('delivery.succeeded').length === 12, 'all delivered', 25_000);
    expect(world.sandbox.stats.maxInFlight).toBeLessThanOrEqual(2);
    expect(world.sandbox.stats.maxInFlight).toBeGreaterThan(0);
    expect(new Set(await deliveredHeaders(world)).size).toBe(12);
  });

  it('a server down for longer than retry.maxAge: the item expires to failed, logged as an error', async () => {
    world = await makeWorld({ retry: { minDelay: '200ms', maxDelay: '400ms', maxAge: '3s' } });
    const d = await startDaemon(world);
    // One item delivered first, so that opening the transport (seconds on a loaded machine) is
    // not counted in the second item's short maxAge: it must be deferred before it expires.
    await world.drop('warm.json', jsonItem(8, ['carol@contoso.com']));
    await d.waitForLine(succeeded, 'the first delivery');
    world.sandbox.faults.set({ http503: true });
    await world.drop('down.json', jsonItem(9, ['bob@contoso.com']));
    const expired = await d.waitForLine(isAction('item.expired'), 'expiry', 15_000);
    expect(expired['log.level']).toBe('error');
    expect(expired.event?.outcome).toBe('failure');
    expect(expired.error?.code).toBe('Http503');
    expect(expired.message).toMatch(/maxAge/);
    expect(d.actions('delivery.deferred').length).toBeGreaterThanOrEqual(1);
    const attempts = world.sandbox.stats.requests;
    const s = await status(world);
    expect(s.items).toHaveLength(1);
    expect(s.items[0]).toMatchObject({ state: 'failed', lastError: { code: 'Http503' } });
    // Nothing more is attempted on its own (failed is final until a person says `retry`).
    expect(s.items[0]!.nextAttemptAt).toBeUndefined();
    expect(world.sandbox.stats.requests).toBe(attempts);
    world.sandbox.faults.clear();
    const r = await world.cli('retry', s.items[0]!.id);
    expect(r.code).toBe(0);
    await waitUntil(() => d.actions('delivery.succeeded').length === 2, 'delivery after retry');
    expect(await deliveredHeaders(world)).toHaveLength(2);
  });
});
