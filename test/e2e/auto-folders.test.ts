import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeWorld, waitUntil, type World } from './harness.js';

/**
 * `spool.paths: ["auto"]`: daemon.started and daemon.json name the folders discovery found (the
 * real paths support staff look at), not `["auto"]`, and daemon.json follows a new profile.
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('auto-discovered spool folders', () => {
  it('are listed in daemon.started and daemon.json, and a new profile is added while running', async () => {
    world = await makeWorld({ spool: { paths: ['auto'] } });
    const appData = join(world.dir, 'AppData', 'Local');
    const lync = join(appData, 'Microsoft', 'Office', '16.0', 'Lync');
    const alice = join(lync, 'sip_alice@contoso.com', 'History Spooler');
    await mkdir(alice, { recursive: true });
    const d = world.start({ LOCALAPPDATA: appData });
    const started = await d.waitForLine((l) => l.event?.action === 'daemon.started', 'started');
    expect(started.imspooler?.spool_folders).toEqual([alice]);
    const infoPath = join(world.stateDir, 'daemon.json');
    const folders = async () =>
      (JSON.parse(await readFile(infoPath, 'utf8')) as { spoolFolders: string[] }).spoolFolders;
    expect(await folders()).toEqual([alice]);

    const bob = join(lync, 'sip_bob@contoso.com', 'History Spooler');
    await mkdir(bob, { recursive: true });
    await waitUntil(async () => (await folders()).length === 2, 'daemon.json lists bob too');
    expect((await folders()).sort()).toEqual([alice, bob].sort());
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });
});
