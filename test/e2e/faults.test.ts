import { afterEach, describe, expect, it } from 'vitest';
import { jsonItem, makeWorld, waitUntil, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const started = (l: { event?: { action?: string } }) => l.event?.action === 'daemon.started';

describe('server faults, crashes and restarts', () => {
  it('honours BackOffMilliseconds: no request reaches the server until the back-off is over', async () => {
    world = await makeWorld({}, { serverBusy: { backOffMs: 2000, count: 1, on: ['CreateItem'] } });
    const daemon = world.start();
    await daemon.waitForLine(started, 'daemon.started');
    for (let i = 0; i < 4; i++) await world.drop(`t-${i}.json`, jsonItem(i, ['bob@contoso.com']));
    const deferred = await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.deferred',
      'a deferral',
    );
    expect(deferred.error?.code).toBe('ErrorServerBusy');
    expect(deferred.imspooler?.next_attempt_at).toBeTruthy();
    await waitUntil(
      () => daemon.actions('delivery.succeeded').length === 4,
      'all 4 delivered',
      20_000,
    );

    const creates = world.sandbox.requests.filter((r) => r.operation === 'CreateItem');
    const busy = creates.find((r) => r.status === 500)!;
    const busyAt = Date.parse(busy.at);
    // Requests already in flight when the fault answered may land; nothing new starts in the window.
    const startedDuring = creates.filter(
      (r) => r !== busy && Date.parse(r.at) > busyAt + 200 && Date.parse(r.at) < busyAt + 1900,
    );
    expect(startedDuring).toEqual([]);
    expect(new Set((await world.delivered()).map((d) => d.itemHeader)).size).toBe(4);
  }, 40_000);

  it('does not send a second copy when the server accepted a message but the connection dropped', async () => {
    world = await makeWorld({}, { dropAfterAccept: { count: 1 } });
    const daemon = world.start();
    await daemon.waitForLine(started, 'daemon.started');
    await world.drop('dropped.json', jsonItem(1, ['bob@contoso.com']));
    const deferred = await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.deferred',
      'a deferral',
    );
    expect(['ConnectionReset', 'Unknown', 'Timeout']).toContain(deferred.error?.code);
    await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.succeeded',
      'delivery after the look-up',
    );
    expect(await world.delivered()).toHaveLength(1);
    // The second attempt looked for the saved copy instead of sending again.
    expect(world.sandbox.stats.findItem).toBeGreaterThanOrEqual(1);
    expect(world.sandbox.stats.createItem).toBe(1);
  }, 30_000);

  it('loses and doubles nothing when killed with SIGKILL mid-run and restarted', async () => {
    world = await makeWorld({ delivery: { concurrency: 3 } }, { slowMs: { ms: 300 } });
    const first = world.start();
    await first.waitForLine(started, 'daemon.started');
    const n = 24;
    for (let i = 0; i < n; i++) {
      await world.drop(
        `k-${i}.json`,
        jsonItem(i, i % 2 ? ['bob@contoso.com'] : ['bob@contoso.com', 'eve@fabrikam.com']),
      );
    }
    await waitUntil(
      () => first.actions('delivery.succeeded').length >= 3,
      'a few deliveries before the kill',
      20_000,
    );
    await waitUntil(() => world!.sandbox.stats.inFlight > 0, 'a request in flight');
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    world.sandbox.faults.clear();

    const second = world.start();
    await second.waitForLine(started, 'restart');
    const expectedCopies = n + n / 2;
    await waitUntil(
      async () => (await world!.delivered()).length >= expectedCopies,
      'every copy delivered',
      40_000,
    );
    await waitUntil(async () => {
      const s = JSON.parse((await world!.cli('status', '--json')).stdout) as {
        items: unknown[];
        counts: { grace: number };
      };
      return s.items.length === 0 && s.counts.grace === 0;
    }, 'an empty queue');
    const headers = (await world.delivered()).map((d) => d.itemHeader);
    expect(headers).toHaveLength(expectedCopies);
    expect(new Set(headers).size).toBe(expectedCopies);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 90_000);

  it('keeps attempts and the next attempt time across a restart', async () => {
    world = await makeWorld({ retry: { minDelay: '1h', maxDelay: '2h' } }, { http503: true });
    const first = world.start();
    await first.waitForLine(started, 'daemon.started');
    await world.drop('later.json', jsonItem(1, ['bob@contoso.com']));
    const deferred = await first.waitForLine(
      (l) => l.event?.action === 'delivery.deferred',
      'a deferral',
    );
    expect(deferred.error?.code).toBe('Http503');
    const before = JSON.parse((await world.cli('status', '--json')).stdout) as {
      items: {
        id: string;
        state: string;
        attempts: number;
        nextAttemptAt: string;
        lastError: { code: string };
      }[];
    };
    expect(before.items).toHaveLength(1);
    expect(before.items[0]).toMatchObject({
      state: 'deferred',
      attempts: 1,
      lastError: { code: 'Http503' },
    });
    const next = Date.parse(before.items[0]!.nextAttemptAt);
    expect(next).toBeGreaterThan(Date.now() + 30 * 60_000);

    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = world.start();
    await second.waitForLine(started, 'restart');
    const after = JSON.parse((await world.cli('status', '--json')).stdout) as typeof before;
    expect(after.items[0]).toMatchObject({
      id: before.items[0]!.id,
      state: 'deferred',
      attempts: 1,
    });
    expect(after.items[0]!.nextAttemptAt).toBe(before.items[0]!.nextAttemptAt);
    // The restart did not cause an early attempt.
    expect(second.actions('delivery.deferred')).toHaveLength(0);
    expect(world.sandbox.stats.createItem).toBe(0);
  }, 40_000);
});
