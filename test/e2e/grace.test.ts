import { afterEach, describe, expect, it } from 'vitest';
import { appendFile, unlink, utimes } from 'node:fs/promises';
import { jsonItem, makeWorld, waitUntil, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the grace period', () => {
  it('does not take a file that keeps changing, and takes it once it settles', async () => {
    world = await makeWorld({ spool: { grace: '1500ms' } });
    const daemon = world.start();
    await daemon.waitForLine((l) => l.event?.action === 'daemon.started', 'daemon.started');
    const path = await world.drop('busy.json', jsonItem(1, ['bob@contoso.com']));
    const started = Date.now();
    // Touch it every 500 ms for ~2.5 s: each change restarts the 1.5 s timer. Real waits: the
    // daemon is a real process on real time (grace-tracker.test.ts covers the rule on a clock).
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await appendFile(path, ' ');
      const t = new Date();
      await utimes(path, t, t);
      expect(daemon.actions('item.claimed')).toHaveLength(0);
    }
    const lastChange = Date.now();
    const claimed = await daemon.waitForLine(
      (l) => l.event?.action === 'item.claimed',
      'item.claimed',
    );
    expect(Date.parse(claimed['@timestamp'] as string)).toBeGreaterThanOrEqual(lastChange + 1000);
    expect(Date.now() - started).toBeGreaterThan(3500);
    await daemon.waitForLine((l) => l.event?.action === 'delivery.succeeded', 'delivery');
    expect(await world.delivered()).toHaveLength(1);
  }, 30_000);

  it('never sends a file the client removed within the grace period', async () => {
    world = await makeWorld({ spool: { grace: '2s' } });
    const daemon = world.start();
    await daemon.waitForLine((l) => l.event?.action === 'daemon.started', 'daemon.started');
    const path = await world.drop('handled.json', jsonItem(2, ['bob@contoso.com']));
    await daemon.waitForLine((l) => l.event?.action === 'spool.detected', 'spool.detected');
    await unlink(path);
    const cleared = await daemon.waitForLine(
      (l) => l.event?.action === 'spool.cleared',
      'spool.cleared',
    );
    expect(cleared.file?.path).toBe(path);
    // A second, later file proves the daemon is alive and past the first one's grace period.
    await world.drop('later.json', jsonItem(3, ['bob@contoso.com']));
    await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.succeeded',
      'later delivery',
      15_000,
    );
    const delivered = await world.delivered();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.body).toContain('Message number 3');
    expect(daemon.actions('item.claimed').map((l) => l.file?.path)).not.toContain(path);
  }, 30_000);

  it("counts the grace period from the file's modification time, so a restart does not restart it", async () => {
    world = await makeWorld({ spool: { grace: '60s' } });
    const path = await world.drop('old.json', jsonItem(4, ['bob@contoso.com']));
    const past = new Date(Date.now() - 120_000);
    await utimes(path, past, past);
    const daemon = world.start();
    await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.succeeded',
      'delivery of an already-old file',
      15_000,
    );
    // And a fresh file waits: it shows in status as in grace, not queued.
    await world.drop('fresh.json', jsonItem(5, ['bob@contoso.com']));
    const status = await waitUntil(async () => {
      const s = JSON.parse((await world!.cli('status', '--json')).stdout) as {
        counts: { grace: number };
      };
      return s.counts.grace === 1 ? s : undefined;
    }, 'fresh file in grace');
    expect(status!.counts.grace).toBe(1);
  }, 30_000);
});
