import { mkdir, readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireQueueLock } from '../../src/control/queue-lock.js';
import type { SetAsideEntry } from '../../src/platform/set-aside.js';
import { jsonItem, makeWorld, type LogLine, type World } from '../e2e/harness.js';
import { isAction, startDaemon, stopDaemon } from './helpers.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const ID = 'ab'.repeat(32);
const setAsideLines = (lines: LogLine[]): LogLine[] =>
  lines.filter((l) => l.imspooler?.set_aside_from !== undefined);

describe('issue 10.6: an odd entry in the state folder is set aside, logged with its path, and the daemon starts', () => {
  it('folders named like a metadata file, and in place of the lock, daemon.json and grace.json', async () => {
    world = await makeWorld();
    const odd = [
      join('queue', 'incoming', `${ID}.json`),
      join('queue', 'failed', `${ID}.json`),
      'daemon.json',
      'grace.json',
      // The lock is a socket file there; elsewhere it has no file, and a folder by its name is inert.
      ...(process.platform === 'darwin' ? ['queue.lock'] : []),
    ];
    for (const rel of [...odd, 'queue.lock']) await mkdir(join(world.stateDir, rel, 'inside'), { recursive: true }); // prettier-ignore

    const d = await startDaemon(world);
    const lines = setAsideLines(d.lines);
    expect(lines.map((l) => l.imspooler!.set_aside_from as string).sort()).toEqual(
      odd.map((rel) => join(world!.stateDir, rel)).sort(),
    );
    for (const l of lines) {
      const from = l.imspooler!.set_aside_from as string;
      const to = l.imspooler!.set_aside_to as string;
      expect(l['log.level']).toBe('error');
      expect(l.message).toContain(`moved ${from} to ${to}`);
      expect(to.startsWith(join(world.stateDir, 'set-aside') + sep)).toBe(true);
      expect(to.endsWith(from.slice(world.stateDir.length))).toBe(true);
      // Moved whole, content and all, for a person to look at.
      expect(await readdir(to)).toEqual(['inside']);
    }
    expect(d.stderr()).not.toMatch(/EISDIR/);

    // It works: a file is delivered, the daemon stops cleanly and starts again with nothing to say.
    await world.drop('x.json', jsonItem(1, ['bob@contoso.com']));
    await d.waitForLine(isAction('delivery.succeeded'), 'a delivery');
    expect(await stopDaemon(d)).toBe(0);
    const again = await startDaemon(world);
    expect(setAsideLines(again.lines)).toEqual([]);
    expect(await stopDaemon(again)).toBe(0);
  });

  it('a folder where the lock socket file goes (macOS) is set aside and reported', async () => {
    world = await makeWorld();
    const path = join(world.stateDir, 'queue.lock');
    await mkdir(join(path, 'inside'), { recursive: true });
    const seen: SetAsideEntry[] = [];
    const lock = await acquireQueueLock(world.stateDir, 'cli', {
      address: { kind: 'file', address: path },
      onSetAside: (e) => seen.push(e),
    });
    expect(lock.kind).toBe('acquired');
    if (lock.kind === 'acquired') await lock.release();
    expect(seen).toEqual([{ from: path, to: expect.stringMatching(/set-aside.*queue\.lock$/) as string, what: 'folder' }]); // prettier-ignore
    expect(await readdir(seen[0]!.to)).toEqual(['inside']);
  });
});
