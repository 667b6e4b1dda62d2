// Conversation History items saved (never sent) through the daemon's own EWS transport, against
// the sandbox: where they land, what they carry, and what the sandbox refuses.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import {
  BodyType,
  EmailMessage,
  ExtendedPropertyDefinition,
  FolderId,
  MapiPropertyType,
  MessageBody,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEwsTransport } from '../../src/delivery/ews-transport.js';
import type { SendRequest, Transport } from '../../src/delivery/transport.js';
import { HISTORY_DIR } from '../../src/sandbox/mailbox-store.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { client, emlFiles, esc, headerProp, tempDir, thrown } from './ews-client.js';

let handle: SandboxHandle | undefined;
let transport: Transport | undefined;
afterEach(async () => {
  await transport?.close();
  await handle?.close();
  handle = transport = undefined;
});

async function start(dir?: string) {
  const mailboxDir = dir ?? (await tempDir('sbx-history'));
  handle = await startSandbox({ mailboxDir });
  transport = makeEwsTransport({
    url: handle.url,
    version: 'Exchange2013',
    timeoutMs: 5000,
    credentials: { kind: 'basic', username: 'CONTOSO\\alice', password: 'pw' },
    rejectUnauthorized: true,
    setFrom: false,
  });
  return { h: handle, dir: mailboxDir, t: transport };
}

const historyRequest = (over: Partial<SendRequest> = {}): SendRequest => ({
  itemId: 'c0ffee',
  group: 'history',
  itemClass: 'IPM.Note.Microsoft.Conversation',
  from: 'alice@contoso.com',
  to: ['bob@contoso.com', 'carol@fabrikam.com'],
  cc: [],
  subject: 'Q4 numbers & slides',
  html: '<p>Have you seen the Q4 numbers? &amp; more</p>',
  headerValue: 'c0ffee/history',
  history: { conversationAt: '2026-11-23T16:02:10.000Z' },
  ...over,
});

const historyFiles = (dir: string) => emlFiles(path.join(dir, HISTORY_DIR)).catch(() => []);

describe('the sandbox and conversation-history items', () => {
  it('saves one into Conversation History, read and dated, and sends nothing', async () => {
    const { h, dir, t } = await start();
    await t.send(historyRequest());
    expect(await emlFiles(dir)).toEqual([]); // nothing delivered to anyone
    const files = await historyFiles(dir);
    expect(files).toHaveLength(1);
    const mail = await simpleParser(await fsp.readFile(path.join(dir, HISTORY_DIR, files[0]!)));
    expect(mail.headers.get('x-item-class')).toBe('IPM.Note.Microsoft.Conversation');
    expect(mail.headers.get('x-message-flags')).toBe('1');
    expect(mail.headers.get('x-imspooler-sandbox-folder')).toBe('conversationhistory');
    expect(mail.headers.get('x-imspooler-item-id')).toBe('c0ffee/history');
    expect(mail.date?.toISOString()).toBe('2026-11-23T16:02:10.000Z');
    expect(new Date(String(mail.headers.get('x-client-submit-time'))).toISOString()).toBe(
      '2026-11-23T16:02:10.000Z',
    );
    // From is the sender even though this transport does not set From on sent messages.
    expect(mail.from?.text).toBe('alice@contoso.com');
    expect(mail.headers.get('to')).toMatchObject({ text: 'bob@contoso.com, carol@fabrikam.com' });
    expect(mail.subject).toBe('Q4 numbers & slides');
    expect(mail.html).toBe('<p>Have you seen the Q4 numbers? &amp; more</p>');
    const create = h.requests.find((r) => r.operation === 'CreateItem')!;
    expect(create.body).toContain('MessageDisposition="SaveOnly"');
  });

  it('finds it by its header before a retry, also after a restart', async () => {
    const first = await start();
    expect(await first.t.findSent('c0ffee/history')).toBe(false);
    await first.t.send(historyRequest());
    expect(await first.t.findSent('c0ffee/history')).toBe(true);
    expect(await first.t.findSent('c0ffee/org')).toBe(false);
    await first.t.close();
    await first.h.close();
    const again = await start(first.dir);
    expect(await again.t.findSent('c0ffee/history')).toBe(true);
  });

  it('check-config --probe: the Conversation History folder is reachable', async () => {
    const { t } = await start();
    expect(await t.probe()).toMatch(/Conversation History folder "Conversation History" reachable/);
  });

  it.each([
    ['without the read flag', undefined],
    ['with the flag 0', 0],
    ['read but also unsent (9)', 9],
  ])(
    'refuses a SaveOnly into Conversation History %s: it would be an unsent draft',
    async (_, flags) => {
      const { dir } = await start();
      const svc = client(handle!.url);
      const m = new EmailMessage(svc);
      m.ItemClass = 'IPM.Note.Microsoft.Conversation';
      m.Subject = 'draft?';
      m.Body = new MessageBody(BodyType.HTML, esc('<p>x</p>'));
      m.ToRecipients.Add('bob@contoso.com');
      m.SetExtendedProperty(headerProp, 'd/history');
      if (flags !== undefined) {
        m.SetExtendedProperty(new ExtendedPropertyDefinition(0x0e07, MapiPropertyType.Integer), flags); // prettier-ignore
      }
      const e = await thrown(() => m.Save(new FolderId(WellKnownFolderName.ConversationHistory)));
      expect(String(e['message'])).toMatch(/would be an unsent draft.*PR_MESSAGE_FLAGS/);
      expect(e['ErrorCode']).toBeTypeOf('number'); // a ResponseClass="Error" answer, not a fault
      expect(await historyFiles(dir)).toEqual([]);
      expect(await emlFiles(dir)).toEqual([]);
    },
  );

  it('still saves drafts into Drafts without the flag (only Conversation History is checked)', async () => {
    const { dir } = await start();
    const m = new EmailMessage(client(handle!.url));
    m.Subject = 'a real draft';
    m.Body = new MessageBody(BodyType.HTML, esc('<p>x</p>'));
    m.ToRecipients.Add('bob@contoso.com');
    await m.Save(new FolderId(WellKnownFolderName.Drafts));
    expect(await historyFiles(dir)).toEqual([]);
    expect(await emlFiles(dir)).toEqual([]);
  });
});
