import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonItem, makeWorld, waitUntil, type DaemonProcess, type World } from '../e2e/harness.js';

/**
 * A SIGKILL at every step of an item's life (issue 4, part 1). The daemon kills itself at the
 * exact step through the test-only switch IMSPOOLER_TEST_CRASH_AT (src/platform/crash-point.ts);
 * the restarted daemon, without the switch, must deliver every recipient group exactly once.
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const started = (l: { event?: { action?: string } }) => l.event?.action === 'daemon.started';

/** Three items: two single-group, one with an org and a federated group (4 copies in all). */
const ITEMS = [
  { name: 'a.json', to: ['bob@contoso.com'] },
  { name: 'b.json', to: ['bob@contoso.com', 'eve@fabrikam.com'] },
  { name: 'c.json', to: ['carol@contoso.com'] },
];
const COPIES = 4;

async function dropAll(w: World): Promise<void> {
  for (const [i, it] of ITEMS.entries()) await w.drop(it.name, jsonItem(100 + i, it.to));
}

/** After the restart: every copy delivered once, nothing left in the queue or the spool folder. */
async function expectExactlyOnce(w: World, second: DaemonProcess): Promise<void> {
  await waitUntil(
    async () => (await w.delivered()).length >= COPIES,
    `${COPIES} copies delivered`,
    20_000,
  );
  await waitUntil(async () => {
    const s = JSON.parse((await w.cli('status', '--json')).stdout) as {
      items: unknown[];
      counts: { grace: number };
    };
    return s.items.length === 0 && s.counts.grace === 0;
  }, 'an empty queue');
  const headers = (await w.delivered()).map((d) => d.itemHeader).sort();
  expect(headers).toHaveLength(COPIES);
  expect(new Set(headers).size).toBe(COPIES);
  expect(new Set(headers.map((h) => h.split('/')[1]))).toEqual(new Set(['org', 'fed']));
  expect(await readdir(w.spool)).toEqual([]);
  // Nothing stranded half-way: no claimed file, no item in any queue state.
  expect(await readdir(join(w.stateDir, 'claimed'))).toEqual([]);
  // Every item reaches a logged success or was already delivered before the kill.
  expect(second.lines.filter((l) => l['log.level'] === 'error')).toEqual([]);
  second.proc.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}

describe('a SIGKILL at each step of an item’s life loses and doubles nothing', () => {
  const steps = [
    'claimed',
    'admitted',
    'sending-saved',
    'answer-received',
    'outcome-recorded',
    'delivered',
  ];
  for (const step of steps) {
    it(`killed at "${step}"`, async () => {
      world = await makeWorld({ delivery: { concurrency: 2 } });
      // The second time the step is reached, so one item is past it and others are not.
      const first = world.start({ IMSPOOLER_TEST_CRASH_AT: `${step}:2` });
      await first.waitForLine(started, 'daemon.started');
      await dropAll(world);
      expect(await first.exited).toBe('SIGKILL');

      const second = world.start();
      await second.waitForLine(started, 'restart');
      await expectExactlyOnce(world, second);
    }, 40_000);
  }

  it('killed after the request was sent, before the answer came back', async () => {
    world = await makeWorld(
      { delivery: { concurrency: 2 } },
      { slowMs: { ms: 3000, on: ['CreateItem'] } },
    );
    const first = world.start();
    await first.waitForLine(started, 'daemon.started');
    await dropAll(world);
    // The sandbox performed at least one CreateItem and is holding its answer back.
    await waitUntil(
      () => world!.sandbox.stats.createItem > 0 && world!.sandbox.stats.inFlight > 0,
      'a request in flight',
    );
    expect(first.actions('delivery.succeeded')).toEqual([]);
    const performedBeforeKill = world.sandbox.stats.createItem;
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    world.sandbox.faults.clear();

    const second = world.start();
    await second.waitForLine(started, 'restart');
    await expectExactlyOnce(world, second);
    // The copy the server made while nobody listened was found, not sent again.
    expect(world.sandbox.stats.findItem).toBeGreaterThanOrEqual(1);
    expect(world.sandbox.stats.createItem).toBe(COPIES);
    expect(performedBeforeKill).toBeGreaterThanOrEqual(1);
  }, 40_000);
});
