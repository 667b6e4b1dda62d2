import { afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { jsonItem, makeWorld, waitUntil, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const started = (l: { event?: { action?: string } }) => l.event?.action === 'daemon.started';

describe.each([
  ['offlineIm', 'EnableOfflineIM'],
  ['imAutoArchiving', 'EnableIMAutoArchiving'],
])('policy.%s', (key, serverName) => {
  it(`holds items while ${serverName} is off and releases them when it is on again`, async () => {
    world = await makeWorld({ policy: { [key]: false } });
    const first = world.start();
    await first.waitForLine(started, 'daemon.started');
    await world.drop('p.json', jsonItem(1, ['bob@contoso.com']));
    const held = await first.waitForLine((l) => l.event?.action === 'item.held', 'item.held');
    expect(held.message).toContain(serverName);
    const status = JSON.parse((await world.cli('status', '--json')).stdout) as {
      items: { state: string; heldReason?: string }[];
    };
    expect(status.items).toHaveLength(1);
    expect(status.items[0]!.state).toBe('held');
    expect(status.items[0]!.heldReason).toContain(`policy.${key}`);
    expect(world.sandbox.stats.createItem).toBe(0);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const config = JSON.parse(await readFile(world.configPath, 'utf8')) as {
      policy: Record<string, boolean>;
    };
    config.policy[key] = true;
    await writeFile(world.configPath, JSON.stringify(config));
    const second = world.start();
    const released = await second.waitForLine(
      (l) => l.event?.action === 'item.released',
      'item.released',
    );
    expect(released.imspooler?.item?.id).toBe(held.imspooler?.item?.id);
    await second.waitForLine((l) => l.event?.action === 'delivery.succeeded', 'delivery');
    expect(await world.delivered()).toHaveLength(1);
    await waitUntil(
      async () => JSON.parse((await world!.cli('status', '--json')).stdout).items.length === 0,
      'empty queue',
    );
  }, 40_000);
});
