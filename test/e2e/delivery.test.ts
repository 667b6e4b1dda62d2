import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { listLogFiles } from '../../src/log/rotating-transport.js';
import { jsonItem, makeWorld, mimeItem, waitUntil, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the daemon end to end', () => {
  it('delivers 50 mixed JSON and MIME items, each exactly once per group, with the right item class', async () => {
    world = await makeWorld();
    const daemon = world.start();
    await daemon.waitForLine((l) => l.event?.action === 'daemon.started', 'daemon.started');
    const expected = new Map<string, string[]>(); // file name -> groups expected
    for (let i = 0; i < 50; i++) {
      const kind = i % 4;
      if (kind === 0) {
        await world.drop(`im-${i}.json`, jsonItem(i, ['bob@contoso.com']));
        expected.set(`im-${i}.json`, ['org']);
      } else if (kind === 1) {
        await world.drop(`im-${i}.json`, jsonItem(i, [`sip:carol${i}@fabrikam.com`]));
        expected.set(`im-${i}.json`, ['fed']);
      } else if (kind === 2) {
        await world.drop(`im-${i}.eml`, mimeItem(i, 'Bob <bob@sales.contoso.com>'));
        expected.set(`im-${i}.eml`, ['org']);
      } else {
        await world.drop(`im-${i}.json`, jsonItem(i, ['bob@contoso.com', 'dave@fabrikam.com']));
        expected.set(`im-${i}.json`, ['org', 'fed']);
      }
    }
    const total = [...expected.values()].reduce((n, g) => n + g.length, 0);
    await waitUntil(
      async () => (await world!.delivered()).length >= total,
      `${total} delivered messages`,
      40_000,
    );
    await waitUntil(
      () => daemon.actions('delivery.succeeded').length === 50,
      '50 delivery.succeeded lines',
    );

    const delivered = await world.delivered();
    expect(delivered).toHaveLength(total);
    const headers = delivered.map((d) => d.itemHeader);
    expect(new Set(headers).size).toBe(total); // no copy twice
    for (const d of delivered) {
      const group = d.itemHeader.split('/')[1];
      expect(d.itemClass).toBe(group === 'org' ? 'IPM.Note.Microsoft.Missed' : 'IPM.Note');
      if (group === 'org') expect(d.to).toMatch(/contoso\.com/);
      else expect(d.to).toMatch(/fabrikam\.com/);
    }
    // Escaped exactly once: the body reads back as the user wrote it.
    expect(delivered.some((d) => d.body.includes('&amp; &lt;friends&gt;'))).toBe(true);
    expect(delivered.some((d) => d.subject.includes('Offline IM 2 & café'))).toBe(true);

    // Every item went through claimed -> delivered with its file path and ID in the log.
    for (const l of daemon.actions('delivery.succeeded')) {
      expect(l.imspooler?.item?.id).toMatch(/^[0-9a-f]{64}$/);
      expect(l.file?.path).toContain('History Spooler');
      expect(l.event?.duration).toBeGreaterThan(0);
    }
    const status = JSON.parse((await world.cli('status', '--json')).stdout) as {
      counts: Record<string, number>;
      items: unknown[];
    };
    expect(status.items).toEqual([]);

    daemon.proc.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.actions('daemon.stopped')).toHaveLength(1);
    // The log file has the same lines, and no secret.
    const logFiles = await listLogFiles(`${world.stateDir}/log/imspooler.log`);
    expect(logFiles).toHaveLength(1);
    const logText = await readFile(logFiles[0]!, 'utf8');
    expect(logText).toContain('"delivery.succeeded"');
    expect(logText).not.toContain('e2e-Secret-Pa55word');
    expect(logText).not.toContain('Message number');
  }, 90_000);

  it('quarantines bad files with a reason while good ones flow', async () => {
    world = await makeWorld();
    const daemon = world.start();
    await daemon.waitForLine((l) => l.event?.action === 'daemon.started', 'daemon.started');
    await world.drop('good-1.json', jsonItem(1, ['bob@contoso.com']));
    await world.drop('empty.json', '');
    await world.drop('broken.json', '{"from": "alice@contoso.com", "to": [');
    await world.drop('binary.dat', Buffer.from([0, 1, 2, 3, 255, 254, 0, 0]));
    await world.drop(
      'norcpt.json',
      JSON.stringify({ from: 'alice@contoso.com', to: [], messages: [{ text: 'x' }] }),
    );
    await world.drop('good-2.eml', mimeItem(2, 'bob@contoso.com'));

    await waitUntil(() => daemon.actions('item.quarantined').length === 4, '4 quarantined');
    await waitUntil(() => daemon.actions('delivery.succeeded').length === 2, '2 delivered');
    const codes = daemon
      .actions('item.quarantined')
      .map((l) => l.error?.code)
      .sort();
    expect(codes).toEqual(['Binary', 'Empty', 'InvalidJson', 'NoRecipients']);
    for (const l of daemon.actions('item.quarantined')) {
      expect(l.file?.path).toBeTruthy();
      expect(l.error?.message).toBeTruthy();
    }
    const status = JSON.parse((await world.cli('status', '--json')).stdout) as {
      counts: Record<string, number>;
      items: { state: string; lastError?: { code: string } }[];
    };
    expect(status.counts.quarantined).toBe(4);
    expect(status.items.every((i) => i.state === 'quarantined' && i.lastError?.code)).toBe(true);
    expect((await world.delivered()).length).toBe(2);
  }, 60_000);
});
