// Conversation-history items through the real daemon and the EWS sandbox: saved once in the
// sender's Conversation History, read and dated, sent to no one, and not saved twice after an
// unclear outcome.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEml } from '../../src/sandbox/eml-writer.js';
import { HISTORY_DIR } from '../../src/sandbox/mailbox-store.js';
import { schemaSkipReason, validateEwsRequest } from '../support/ews-schema.js';
import { historyItem, makeWorld, waitUntil, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const started = (l: { event?: { action?: string } }) => l.event?.action === 'daemon.started';

/** Every item the sandbox saved in Conversation History, from its .eml files. */
async function savedHistory(world: World) {
  const dir = join(world.mailbox, HISTORY_DIR);
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml'));
  return Promise.all(
    files.sort().map(async (file) => {
      const eml = parseEml(await readFile(join(dir, file), 'utf8'))!;
      return { file, headers: eml.headers, body: eml.body };
    }),
  );
}

describe('conversation-history items end to end (EWS sandbox)', () => {
  it('saves one once in Conversation History, read and dated, sends nothing, and says so', async () => {
    world = await makeWorld(
      { retry: { minDelay: '1h', maxDelay: '2h' } },
      { http503: { count: 1, on: ['CreateItem'] } },
    );
    const daemon = world.start();
    await daemon.waitForLine(started, 'daemon.started');
    await world.drop('conv-1.json', historyItem(1));

    const claimed = await daemon.waitForLine((l) => l.event?.action === 'item.claimed', 'claimed');
    expect(claimed.imspooler).toMatchObject({ format: 'json', kind: 'conversation-history' });
    // The first attempt fails (503) and waits an hour: status and show say which kind it is.
    const deferred = await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.deferred',
      'a deferral',
    );
    expect(deferred.imspooler).toMatchObject({ kind: 'conversation-history', group: 'history' });
    const id = deferred.imspooler!.item!.id!;
    const status = JSON.parse((await world.cli('status', '--json')).stdout) as {
      items: { id: string; kind?: string }[];
    };
    expect(status.items.find((i) => i.id === id)?.kind).toBe('conversation-history');
    expect((await world.cli('status')).stdout).toMatch(/deferred +history +/);
    const show = JSON.parse((await world.cli('show', id, '--json')).stdout) as {
      kind: string;
      groups: Record<string, { itemClass: string; recipients: { to: string[] } }>;
    };
    expect(show.kind).toBe('conversation-history');
    expect(Object.keys(show.groups)).toEqual(['history']);
    expect(show.groups.history).toMatchObject({
      itemClass: 'IPM.Note.Microsoft.Conversation',
      recipients: { to: ['bob@contoso.com', 'carol@fabrikam.com'] },
    });
    expect((await world.cli('show', id.slice(0, 12))).stdout).toContain(
      'kind      conversation-history (saved',
    );

    // Retried like any item.
    expect((await world.cli('retry', id.slice(0, 12))).code).toBe(0);
    const done = await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.succeeded',
      'the item saved',
    );
    expect(done.message).toBe('conversation history saved');
    expect(done.imspooler).toMatchObject({ kind: 'conversation-history' });

    const saved = await savedHistory(world);
    expect(saved).toHaveLength(1);
    const h = saved[0]!.headers;
    expect(h['x-item-class']).toBe('IPM.Note.Microsoft.Conversation');
    expect(h['x-message-flags']).toBe('1');
    expect(h['x-imspooler-item-id']).toBe(`${id}/history`);
    expect(h['x-imspooler-sandbox-folder']).toBe('conversationhistory');
    expect(new Date(h['date']!).toISOString()).toBe('2026-11-23T16:02:10.000Z');
    expect(new Date(h['x-client-submit-time']!).toISOString()).toBe('2026-11-23T16:02:10.000Z');
    expect(h['from']).toBe('alice@contoso.com');
    expect(h['to']).toBe('bob@contoso.com, carol@fabrikam.com');
    expect(saved[0]!.body).toContain('Reply 1 &amp; &lt;more&gt;');

    // Nothing was sent: no message in anyone's mailbox, no SendAndSaveCopy on the wire.
    expect(await world.delivered()).toEqual([]);
    const creates = world.sandbox.requests.filter((r) => r.operation === 'CreateItem');
    expect(creates.every((r) => r.body.includes('MessageDisposition="SaveOnly"'))).toBe(true);
    expect(creates.some((r) => r.body.includes('SendAndSaveCopy'))).toBe(false);
  }, 40_000);

  it('an unclear outcome (accepted, then the connection dropped) and a retry leave one copy', async () => {
    world = await makeWorld({}, { dropAfterAccept: { count: 1 } });
    const daemon = world.start();
    await daemon.waitForLine(started, 'daemon.started');
    await world.drop('conv-2.json', historyItem(2));
    const deferred = await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.deferred',
      'a deferral',
    );
    expect(['ConnectionReset', 'Unknown', 'Timeout']).toContain(deferred.error?.code);
    await daemon.waitForLine(
      (l) => l.event?.action === 'delivery.succeeded',
      'success after the look-up',
    );
    const saved = await savedHistory(world);
    expect(saved.map((s) => s.headers['x-imspooler-item-id'])).toEqual([
      `${deferred.imspooler!.item!.id}/history`,
    ]);
    // The retry looked in Conversation History and found the copy instead of saving again.
    expect(world.sandbox.stats.createItem).toBe(1);
    const finds = world.sandbox.requests.filter((r) => r.operation === 'FindItem');
    expect(finds.length).toBeGreaterThanOrEqual(1);
    expect(finds[0]!.body).toContain('Id="conversationhistory"');
    expect(await world.delivered()).toEqual([]);
    await waitUntil(async () => {
      const s = JSON.parse((await world!.cli('status', '--json')).stdout) as { items: unknown[] };
      return s.items.length === 0;
    }, 'an empty queue');
    // Every request the daemon sent (the SaveOnly with its extended properties, the look-up) is
    // one Exchange's schema accepts.
    if (schemaSkipReason) console.warn(`schema check skipped: ${schemaSkipReason}`);
    else {
      for (const [i, r] of world.sandbox.requests.entries()) {
        await validateEwsRequest(r.body, `${i}-${r.operation}`);
      }
    }
  }, 40_000);

  it('quarantines an item of an unknown kind with a reason, sending and saving nothing', async () => {
    world = await makeWorld();
    const daemon = world.start();
    await daemon.waitForLine(started, 'daemon.started');
    await world.drop('odd.json', historyItem(3).replace('conversation-history', 'voicemail'));
    const q = await daemon.waitForLine(
      (l) => l.event?.action === 'item.quarantined',
      'a quarantine',
    );
    expect(q.error?.code).toBe('InvalidKind');
    expect(q.error?.message).toContain('"voicemail"');
    expect(world.sandbox.stats.createItem).toBe(0);
  }, 30_000);

  it('check-config --probe reports the Conversation History folder reachable (a GetFolder on it)', async () => {
    world = await makeWorld();
    const r = await world.cli('check-config', '--probe');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /probe OK: .*Conversation History folder "Conversation History" reachable/,
    );
    const get = world.sandbox.requests.find((q) => q.operation === 'GetFolder');
    expect(get?.body).toContain('<t:DistinguishedFolderId Id="conversationhistory"');
    expect(get?.status).toBe(200);
  });
});
