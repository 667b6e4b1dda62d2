import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonItem, makeWorld, waitUntil, type World } from '../e2e/harness.js';
import { seedFileQueue } from '../queue/legacy/seed-0.1.0.js';
import { status, started } from './helpers.js';

/**
 * Upgrade without loss, with real kills: a state folder written by 0.1.0's own code, the daemon
 * of this version SIGKILLed at each step of the import (src/platform/crash-point.ts), then started
 * again without the switch. Every item must come through in its state, and every deliverable
 * recipient group be delivered exactly once (the group 0.1.0 left `sending` is looked up first).
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('a SIGKILL at each step of the 0.1.0 import loses and doubles nothing', () => {
  for (const step of ['import-recovered', 'import-committed', 'import-moving:2']) {
    it(`killed at "${step}"`, async () => {
      world = await makeWorld();
      const seeded = await seedFileQueue(world.stateDir, (n, to) => jsonItem(n, to));
      const first = world.start({ IMSPOOLER_TEST_CRASH_AT: step });
      expect(await first.exited).toBe('SIGKILL');

      const second = world.start();
      await second.waitForLine(started, 'restart');
      // incoming (bob), active's federated group (eve; org was sent by 0.1.0), deferred (carol),
      // and the file 0.1.0 had claimed (heidi): four copies, once each.
      await waitUntil(async () => (await world!.delivered()).length >= 4, '4 copies', 20_000);
      await waitUntil(async () => {
        const s = await status(world!);
        const c = s.counts;
        return (c.queued ?? 0) + (c.deferred ?? 0) + (c.active ?? 0) === 0 ? s : undefined;
      }, 'nothing left to send');
      const headers = (await world.delivered()).map((d) => d.itemHeader).sort();
      expect(headers).toHaveLength(4);
      expect(new Set(headers).size).toBe(4);
      expect(headers).toEqual(
        expect.arrayContaining([
          `${seeded.ids.incoming}/org`,
          `${seeded.ids.active}/fed`,
          `${seeded.ids.deferred}/org`,
        ]),
      );
      // The unclear groups were looked up before they were sent.
      expect(world.sandbox.stats.findItem).toBeGreaterThanOrEqual(2);
      const s = await status(world);
      expect(s.counts).toMatchObject({ held: 1, failed: 1, quarantined: 2 });
      expect(await readdir(join(world.stateDir, 'file-queue-0.1.0'))).toEqual(
        expect.arrayContaining(['queue', 'data', 'delivered']),
      );
      const hist = JSON.parse((await world.cli('history', '--json')).stdout) as {
        items: { id: string; state: string }[];
      };
      expect(hist.items).toContainEqual(
        expect.objectContaining({ id: seeded.ids.delivered, state: 'delivered' }),
      );
      expect(second.lines.filter((l) => l['log.level'] === 'error')).toEqual([]);
      second.proc.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }, 60_000);
  }
});
