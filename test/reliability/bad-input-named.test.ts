import { execFileSync } from 'node:child_process';
import {
  appendFile,
  link,
  mkdir,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonItem, makeWorld, waitUntil, type World } from '../e2e/harness.js';
import { isAction, startDaemon, status, stopDaemon } from './helpers.js';

/**
 * The named bad-input cases (issue 4, part 3) with the real daemon: each file is delivered or
 * quarantined with its reason, entries that are not regular files are never followed or read,
 * subfolders are left alone, and nothing outside the spool folder is touched. EBUSY and
 * permission-denied files are in disk-clock.test.ts (they need the fs seam: root can read
 * anything, and Linux has no mandatory locks).
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const hasMkfifo = (() => {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('named bad input', () => {
  it('quarantines empty, binary, too large, links and FIFOs with their reasons; leaves subfolders and outside files alone', async () => {
    world = await makeWorld({ spool: { maxBytes: '2KB' } });
    const outside = join(world.dir, 'outside');
    await mkdir(outside);
    const secretA = jsonItem(901, ['bob@contoso.com'], { subject: 'outside via symlink' });
    const secretB = jsonItem(902, ['bob@contoso.com'], { subject: 'outside via hard link' });
    await writeFile(join(outside, 'a.json'), secretA);
    await writeFile(join(outside, 'b.json'), secretB);

    const d = await startDaemon(world);
    await world.drop('empty.json', '');
    await world.drop('binary.dat', Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 0x80, 0x81]));
    await world.drop(
      'large.json',
      jsonItem(903, ['bob@contoso.com'], { subject: 'x'.repeat(4096) }),
    );
    await symlink(join(outside, 'a.json'), join(world.spool, 'link.json'));
    await link(join(outside, 'b.json'), join(world.spool, 'hard.json'));
    if (hasMkfifo) execFileSync('mkfifo', [join(world.spool, 'pipe.json')]);
    await mkdir(join(world.spool, 'sub'));
    await writeFile(join(world.spool, 'sub', 'inner.json'), jsonItem(904, ['bob@contoso.com']));
    await world.drop('good.json', jsonItem(905, ['bob@contoso.com']));

    const expected: Record<string, string> = {
      'empty.json': 'Empty',
      'binary.dat': 'Binary',
      'large.json': 'TooLarge',
      'link.json': 'NotRegularFile',
      'hard.json': 'HardLink',
      ...(hasMkfifo ? { 'pipe.json': 'NotRegularFile' } : {}),
    };
    await waitUntil(
      () => d.actions('item.quarantined').length === Object.keys(expected).length,
      'every bad entry quarantined',
    );
    await d.waitForLine(isAction('delivery.succeeded'), 'the good item delivered');
    const got = Object.fromEntries(
      d.actions('item.quarantined').map((l) => [l.file!.path!.split('/').pop()!, l.error?.code]),
    );
    expect(got).toEqual(expected);
    for (const l of d.actions('item.quarantined')) {
      expect(l.error?.message).toBeTruthy();
      expect(l.event?.outcome).toBe('failure');
    }

    // Only the good item reached the mailbox; nothing behind a link was read or sent.
    const delivered = await world.delivered();
    expect(delivered).toHaveLength(1);
    expect(delivered.map((m) => m.subject).join()).not.toMatch(/outside/);
    // Outside files are untouched; the subfolder and its file are where they were.
    expect(await readFile(join(outside, 'a.json'), 'utf8')).toBe(secretA);
    expect(await readFile(join(outside, 'b.json'), 'utf8')).toBe(secretB);
    expect(await readdir(world.spool)).toEqual(['sub']);
    expect(await readdir(join(world.spool, 'sub'))).toEqual(['inner.json']);

    const s = await status(world);
    expect(s.counts.quarantined).toBe(Object.keys(expected).length);
    expect(new Set(s.items.map((i) => i.state))).toEqual(new Set(['quarantined']));
    // Every quarantine line names the ID status shows, read or not: support can find it in the log.
    const loggedIds = d.actions('item.quarantined').map((l) => l.imspooler?.item?.id);
    expect(new Set(loggedIds)).toEqual(new Set(s.items.map((i) => i.id)));
    // Quarantine is final: nothing is retried by itself.
    expect(world.sandbox.stats.createItem).toBe(1);
    expect(await stopDaemon(d)).toBe(0);
  });

  it('waits for a file that is still being written, then delivers it whole', async () => {
    world = await makeWorld({ spool: { grace: '400ms', rescan: '200ms' } });
    const d = await startDaemon(world);
    const path = join(world.spool, 'slow-writer.json');
    const text = jsonItem(906, ['bob@contoso.com'], { subject: 'written slowly' });
    // A writer that adds a piece every 150 ms: shorter than the grace period, so never "stable".
    // Real waits: the point is a real daemon watching a real file that a real writer still grows.
    const pieces = text.match(/.{1,12}/gs)!;
    await writeFile(path, pieces[0]!);
    for (const piece of pieces.slice(1, 20)) {
      await new Promise((r) => setTimeout(r, 150));
      await appendFile(path, piece);
    }
    await appendFile(path, pieces.slice(20).join(''));
    const line = await d.waitForLine(isAction('delivery.succeeded'), 'delivery');
    expect(line.file?.path).toBe(path);
    expect(d.actions('item.quarantined')).toEqual([]);
    expect((await world.delivered())[0]!.subject).toBe('written slowly');
  });

  it('picks up a spool folder that was removed and created again', async () => {
    world = await makeWorld({ spool: { rescan: '300ms' } });
    const d = await startDaemon(world);
    await world.drop('before.json', jsonItem(907, ['bob@contoso.com']));
    await waitUntil(() => d.actions('delivery.succeeded').length === 1, 'first delivery');
    await rm(world.spool, { recursive: true });
    await waitUntil(
      () => d.lines.some((l) => /spool folder problem/.test(l.message)),
      'the missing folder noticed',
    );
    await mkdir(world.spool, { recursive: true });
    await world.drop('after.json', jsonItem(908, ['bob@contoso.com']));
    await waitUntil(
      () => d.actions('delivery.succeeded').length === 2,
      'delivery from the new folder',
      15_000,
    );
    expect(await world.delivered()).toHaveLength(2);
    expect(await stopDaemon(d)).toBe(0);
  });
});

describe('issue 10.5: a file whose name is not valid UTF-8', () => {
  // Linux allows any bytes but `/` and NUL in a name (macOS's APFS refuses such names).
  it.skipIf(process.platform !== 'linux')(
    'is taken, logged and shown (bad bytes as \\xHH): delivered, or quarantined with its reason',
    async () => {
      world = await makeWorld();
      const d = await startDaemon(world);
      const bytes = (s: string) => Buffer.from(s, 'utf8');
      const name = (stem: string) =>
        Buffer.concat([bytes(`${stem}-`), Buffer.from([0xff, 0xfe]), bytes('-é.json')]);
      const drop = async (stem: string, content: string) => {
        // Written under a .tmp name and renamed, as the client would (both names as bytes).
        const dir = bytes(`${world!.spool}/`);
        const tmp = Buffer.concat([dir, name(stem), bytes('.tmp')]);
        await writeFile(tmp, content);
        const { rename } = await import('node:fs/promises');
        await rename(tmp, Buffer.concat([dir, name(stem)]));
      };
      await drop('good', jsonItem(600, ['bob@contoso.com']));
      await drop('bad', 'not a message at all');
      const shown = (stem: string) => join(world!.spool, `${stem}-\\xFF\\xFE-é.json`);

      const delivered = await d.waitForLine(isAction('delivery.succeeded'), 'delivery');
      expect(delivered.file?.path).toBe(shown('good'));
      const quarantined = await d.waitForLine(isAction('item.quarantined'), 'quarantine');
      expect(quarantined.file?.path).toBe(shown('bad'));
      expect(quarantined.error?.code).toBeTruthy();
      expect(
        d
          .actions('spool.detected')
          .map((l) => l.file?.path)
          .sort(),
      ).toEqual([shown('bad'), shown('good')].sort());
      expect(await readdir(world.spool)).toEqual([]);
      expect((await world.delivered()).length).toBe(1);
      const s = await status(world);
      expect(s.items).toEqual([
        expect.objectContaining({ state: 'quarantined', source: shown('bad') }),
      ]);
      expect(await stopDaemon(d)).toBe(0);
    },
    30_000,
  );
});
