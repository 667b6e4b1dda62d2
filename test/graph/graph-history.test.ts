// Conversation-history items over Graph against the sandbox's Graph endpoint: created (never
// sent) in the mailbox's Conversation History, read and dated; a message without the read flag is
// refused; the probe reaches the folder.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { makeGraphTransport, type GraphTransport } from '../../src/graph/graph-transport.js';
import { HISTORY_DIR } from '../../src/sandbox/mailbox-store.js';
import { appTokens, CLIENT_ID, graphWorld, request, type GraphWorld } from './graph-world.js';

let world: GraphWorld | undefined;
let transport: GraphTransport | undefined;
afterEach(async () => {
  await transport?.close();
  await world?.close();
  world = transport = undefined;
});

const SECRET = 'history-secret-0123456789';

async function open(mailbox: Parameters<typeof makeGraphTransport>[0]['mailbox']) {
  world = await graphWorld({ clientSecret: SECRET });
  const tokens = appTokens(world, SECRET);
  transport = makeGraphTransport({ url: world.graphUrl, tokens, mailbox, timeoutMs: 3000 });
  return { w: world, t: transport };
}

const historyRequest = request({
  group: 'history',
  itemClass: 'IPM.Note.Microsoft.Conversation',
  to: ['bob@contoso.com', 'carol@fabrikam.com'],
  subject: 'Q4 numbers',
  headerValue: '0123abcd/history',
  history: { conversationAt: '2026-11-23T16:02:10.000Z' },
});

async function saved(w: GraphWorld) {
  const dir = path.join(w.mailbox, HISTORY_DIR);
  const files = (await fsp.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')); // prettier-ignore
  return Promise.all(files.sort().map(async (f) => simpleParser(await fsp.readFile(path.join(dir, f))))); // prettier-ignore
}

describe('Graph transport: conversation-history items', () => {
  it("creates the item in the sender's Conversation History, read and dated, and sends nothing", async () => {
    const { w, t } = await open({ kind: 'sender' });
    await t.send(historyRequest);
    const g = w.sandbox.graph!;
    expect(g.requests.map((r) => [r.operation, r.path, r.status])).toContainEqual([
      'createMessage',
      '/v1.0/users/alice%40contoso.com/mailFolders/conversationhistory/messages',
      201,
    ]);
    expect(g.stats).toMatchObject({ sendMail: 0, createMessage: 1 });
    expect(await w.delivered()).toEqual([]);
    const [item, ...more] = await saved(w);
    expect(more).toEqual([]);
    expect(item!.headers.get('x-item-class')).toBe('IPM.Note.Microsoft.Conversation');
    expect(item!.headers.get('x-message-flags')).toBe('1');
    expect(item!.headers.get('x-imspooler-item-id')).toBe('0123abcd/history');
    expect(item!.date?.toISOString()).toBe('2026-11-23T16:02:10.000Z');
    expect(item!.from?.text).toBe('alice@contoso.com');
    expect(item!.headers.get('to')).toMatchObject({ text: 'bob@contoso.com, carol@fabrikam.com' });
    // Found before a retry, at once (a created message needs no settling).
    const before = Date.now();
    expect(await t.findSent('0123abcd/history', undefined, 'alice@contoso.com')).toBe(true);
    expect(await t.findSent('0123abcd/org', undefined, 'alice@contoso.com')).toBe(false);
    expect(Date.now() - before).toBeLessThan(2000);
  });

  it('the sandbox refuses a message in Conversation History without the read flag', async () => {
    const { w } = await open({ kind: 'sender' });
    const token = await fetch(`${w.authority}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: SECRET,
        scope: 'https://graph.microsoft.com/.default',
      }),
    }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
    const res = await fetch(
      `${w.graphUrl}/users/alice@contoso.com/mailFolders/conversationhistory/messages`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          subject: 'draft?',
          body: { contentType: 'HTML', content: '<p>x</p>' },
          toRecipients: [{ emailAddress: { address: 'bob@contoso.com' } }],
          singleValueExtendedProperties: [
            { id: 'String 0x001A', value: 'IPM.Note.Microsoft.Conversation' },
          ],
        }),
      },
    );
    expect(res.status).toBe(400);
    const err = ((await res.json()) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('ErrorInvalidExtendedPropertyValue');
    expect(err.message).toMatch(/unsent draft.*PR_MESSAGE_FLAGS/);
    expect(await saved(w)).toEqual([]);
  });

  it('the probe reaches Sent Items and Conversation History of a named mailbox', async () => {
    const { w, t } = await open({ kind: 'fixed', upn: 'alice@contoso.com' });
    expect(await t.probe()).toMatch(
      /alice@contoso\.com folders "Sent Items" and "Conversation History" reachable/,
    );
    expect(w.sandbox.graph!.requests.map((r) => r.path)).toContain(
      '/v1.0/users/alice%40contoso.com/mailFolders/conversationhistory',
    );
  });
});
