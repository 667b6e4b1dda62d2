// The real daemon with delivery.transport "graph" and a conversation-history item: created once
// in Conversation History through the sandbox's Graph endpoint, sent to no one, and not created
// twice after an unclear outcome.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { HISTORY_DIR } from '../../src/sandbox/mailbox-store.js';
import { historyItem, waitUntil, type World } from '../e2e/harness.js';
import { startGraphDaemon, type GraphWorld } from './graph-world.js';

let world: World | undefined;
let graph: GraphWorld | undefined;
afterEach(async () => {
  await world?.close();
  await graph?.close();
  world = graph = undefined;
});

async function start(faults?: object) {
  const started = await startGraphDaemon(faults);
  ({ world, graph } = started);
  return { daemon: started.daemon, g: started.g, w: started.world, gw: started.graph };
}

async function saved(gw: GraphWorld) {
  const dir = path.join(gw.mailbox, HISTORY_DIR);
  const files = (await fsp.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')); // prettier-ignore
  return Promise.all(files.sort().map(async (f) => simpleParser(await fsp.readFile(path.join(dir, f))))); // prettier-ignore
}

describe('the real daemon over Graph with a conversation-history item (needs npm run build)', () => {
  it('creates it once in Conversation History, read and dated, and sends nothing', async () => {
    const { daemon, g, w, gw } = await start();
    await w.drop('conv-g1.json', historyItem(1));
    const done = await daemon.waitForLine((l) => l.event?.action === 'delivery.succeeded', 'saved'); // prettier-ignore
    const id = done.imspooler!.item!.id!;
    const items = await saved(gw);
    expect(items).toHaveLength(1);
    const h = items[0]!.headers;
    expect(h.get('x-item-class')).toBe('IPM.Note.Microsoft.Conversation');
    expect(h.get('x-message-flags')).toBe('1');
    expect(h.get('x-imspooler-item-id')).toBe(`${id}/history`);
    expect(items[0]!.date?.toISOString()).toBe('2026-11-23T16:02:10.000Z');
    expect(items[0]!.from?.text).toBe('alice@contoso.com');
    // Nothing sent: no sendMail, no message in anyone's mailbox.
    expect(g.stats).toMatchObject({ sendMail: 0, createMessage: 1 });
    expect(await gw.delivered()).toEqual([]);
    expect(g.requests.filter((r) => r.operation === 'createMessage').map((r) => r.path)).toEqual([
      '/v1.0/users/alice%40contoso.com/mailFolders/conversationhistory/messages',
    ]);
  });

  it('an unclear outcome (created, then the connection dropped) and a retry leave one copy', async () => {
    const { daemon, g, w, gw } = await start({ dropAfterAccept: { count: 1 } });
    await w.drop('conv-g2.json', historyItem(2));
    const deferred = await daemon.waitForLine((l) => l.event?.action === 'delivery.deferred', 'a deferral'); // prettier-ignore
    expect(deferred.imspooler).toMatchObject({ kind: 'conversation-history', group: 'history' });
    await daemon.waitForLine((l) => l.event?.action === 'delivery.succeeded', 'success after the look-up'); // prettier-ignore
    const items = await saved(gw);
    expect(items.map((m) => m.headers.get('x-imspooler-item-id'))).toEqual([
      `${deferred.imspooler!.item!.id}/history`,
    ]);
    expect(g.stats.createMessage).toBe(1);
    expect(g.stats.findMessages).toBeGreaterThanOrEqual(1);
    expect(await gw.delivered()).toEqual([]);
    await waitUntil(async () => {
      const s = JSON.parse((await w.cli('status', '--json')).stdout) as { items: unknown[] };
      return s.items.length === 0;
    }, 'an empty queue');
  });
});
