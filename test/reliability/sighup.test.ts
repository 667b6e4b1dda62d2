import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reopenSignals, stopSignals } from '../../src/daemon/signals.js';
import { jsonItem, makeWorld, waitUntil, type World } from '../e2e/harness.js';
import { isAction, startDaemon, stopDaemon } from './helpers.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Every log file in the log folder with its text (whatever the naming scheme). */
async function logFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(dir)) {
    if (name.startsWith('.')) continue; // the rotation audit file
    out.set(name, await readFile(join(dir, name), 'utf8'));
  }
  return out;
}

const reopened = (l: { message: string }): boolean => /SIGHUP: log file reopened/.test(l.message);

describe('issue 10.12: SIGHUP reopens the log file (as logrotate expects); it never kills the daemon', () => {
  it.skipIf(process.platform === 'win32')(
    'a real SIGHUP: the daemon goes on, writes to a new file where the old one was, and stops cleanly later',
    async () => {
      world = await makeWorld();
      const logDir = join(world.stateDir, 'log');
      const d = await startDaemon(world);
      // The file being written is the one holding daemon.started; logrotate moves it away.
      const live = await waitUntil(async (): Promise<string> => {
        for (const [name, text] of await logFiles(logDir)) if (text.includes('daemon.started')) return name; // prettier-ignore
        return '';
      }, 'the live log file');
      await rename(join(logDir, live), join(logDir, `${live}.rotated`));

      d.proc.kill('SIGHUP');
      await d.waitForLine(reopened, 'the reopen line');
      await world.drop('after.json', jsonItem(1, ['bob@contoso.com']));
      const done = await d.waitForLine(isAction('delivery.succeeded'), 'a delivery after SIGHUP');
      expect(d.proc.exitCode).toBeNull();

      // A second SIGHUP without rotation is harmless: same file, nothing lost.
      d.proc.kill('SIGHUP');
      await waitUntil(() => d.lines.filter(reopened).length === 2, 'the second reopen');
      expect(await stopDaemon(d)).toBe(0);
      expect(d.actions('daemon.stopped')).toHaveLength(1);

      const files = await logFiles(logDir);
      const id = done.imspooler!.item!.id!;
      // The new lines are in a new file by the live file's name, none in the moved one.
      expect(files.get(`${live}.rotated`)).not.toContain(id);
      expect(files.get(live)).toContain(id);
      expect(files.get(live)).toContain('daemon.stopped');
      expect(files.get(live)).toContain('SIGHUP: log file reopened');
      expect(d.stderr()).toBe('');
    },
  );

  it('on Windows SIGHUP (console closed) is a stop signal, elsewhere the reopen signal', () => {
    expect(stopSignals('win32')).toContain('SIGHUP');
    expect(reopenSignals('win32')).toEqual([]);
    expect(stopSignals('linux')).not.toContain('SIGHUP');
    expect(reopenSignals('linux')).toEqual(['SIGHUP']);
    expect(reopenSignals('darwin')).toEqual(['SIGHUP']);
  });
});
