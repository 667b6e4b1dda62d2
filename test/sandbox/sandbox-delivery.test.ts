// The library needs util.isNullOrUndefined, gone from Node.js 23+: the product restores it the same way.
import '../../src/delivery/ews-node-compat.js';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import {
  BasePropertySet,
  EmailMessage,
  FolderId,
  ItemId,
  ItemView,
  PropertySet,
  SearchFilter,
  ServiceResult,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { client, emlFiles, findByHeader, headerProp, send, tempDir, thrown } from './ews-client.js';

let handle: SandboxHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

async function start(dir?: string) {
  const mailboxDir = dir ?? (await tempDir('sbx'));
  handle = await startSandbox({ mailboxDir });
  return { h: handle, dir: mailboxDir, svc: client(handle.url) };
}

describe('sandbox delivery with the real EWS client', () => {
  it('writes a delivered message as an .eml with the right headers and body', async () => {
    const { h, dir, svc } = await start();
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/EWS\/Exchange\.asmx$/);
    await send(svc, {
      subject: 'Tom & Jerry <"quoted"> – Grüße 日本',
      html: '<p>Fish &amp; chips? 5 < 6 — ça va 🙂</p>',
      to: ['bob@contoso.com'],
      cc: ['carol@fabrikam.com'],
      from: 'alice@contoso.com',
      header: '0123abcd/org',
    });
    const files = await emlFiles(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{8}T\d{9}Z-\d{6}\.eml$/);
    const raw = await fsp.readFile(path.join(dir, files[0]!), 'utf8');
    expect(raw).toMatch(/^Subject: =\?UTF-8\?B\?/m); // RFC 2047: non-ASCII subject
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Tom & Jerry <"quoted"> – Grüße 日本');
    expect(mail.from?.text).toBe('alice@contoso.com');
    expect(mail.headers.get('to')).toMatchObject({ text: 'bob@contoso.com' });
    expect(mail.headers.get('cc')).toMatchObject({ text: 'carol@fabrikam.com' });
    expect(mail.headers.get('x-imspooler-item-id')).toBe('0123abcd/org');
    expect(mail.headers.get('x-item-class')).toBe('IPM.Note.Microsoft.Missed');
    expect(mail.messageId).toMatch(/^<.+@.+>$/);
    expect(mail.date).toBeInstanceOf(Date);
    expect(mail.html).toBe('<p>Fish &amp; chips? 5 < 6 — ça va 🙂</p>');
    expect(h.stats.createItem).toBe(1);
    expect(await fsp.readdir(dir)).toEqual(files); // no temp file left behind
  });

  it('keeps the item class of a federated message', async () => {
    const { dir, svc } = await start();
    await send(svc, { itemClass: 'IPM.Note', header: 'ff/fed', to: ['x@fabrikam.com'] });
    const mail = await simpleParser(await fsp.readFile(path.join(dir, (await emlFiles(dir))[0]!)));
    expect(mail.headers.get('x-item-class')).toBe('IPM.Note');
  });

  it('FindItem finds the saved copy by header value, and only that one', async () => {
    const { h, svc } = await start();
    expect((await findByHeader(svc, 'abc/org')).TotalCount).toBe(0);
    await send(svc, { header: 'abc/org', subject: 'A & B' });
    await send(svc, { header: 'abc/fed', subject: 'other', itemClass: 'IPM.Note' });
    const found = await findByHeader(svc, 'abc/org');
    expect(found.TotalCount).toBe(1);
    expect(found.MoreAvailable).toBe(false);
    expect(found.Items[0]?.Subject).toBe('A & B');
    expect(found.Items[0]?.ItemClass).toBe('IPM.Note.Microsoft.Missed');
    expect((await findByHeader(svc, 'abc/nope')).TotalCount).toBe(0);
    expect(h.stats.findItem).toBe(3);
  });

  it('GetItem returns the saved copy by ItemId, with body, recipients and the header', async () => {
    const { svc } = await start();
    await send(svc, { header: 'g1/org', html: '<b>é & ü</b>', to: ['bob@contoso.com'] });
    const id = (await findByHeader(svc, 'g1/org')).Items[0]!.Id;
    const got = await svc.BindToItems([id], new PropertySet(BasePropertySet.FirstClassProperties, [headerProp])); // prettier-ignore
    const msg = got.Responses[0]!.Item as EmailMessage;
    expect(got.Responses[0]!.Result).toBe(ServiceResult.Success);
    expect(msg.Body.Text).toBe('<b>é & ü</b>');
    expect(msg.ToRecipients.GetEnumerator().map((r) => r.Address)).toEqual(['bob@contoso.com']);
    const props = msg.ExtendedProperties.GetEnumerator().map((p) => [
      p.PropertyDefinition.Name,
      p.Value,
    ]);
    expect(props).toEqual([['X-IMSpooler-Item-Id', 'g1/org']]);
  });

  it('GetItem of an unknown or malformed id answers like Exchange', async () => {
    const { svc } = await start();
    const missing = Buffer.from('IMSPOOLER-SANDBOX-ITEM:nope.eml').toString('base64');
    const e = await thrown(() => EmailMessage.Bind(svc, new ItemId(missing)));
    expect(e['ErrorCode']).toBe(249); // ErrorItemNotFound
    const bad = await svc.BindToItems([new ItemId('Zm9v')], new PropertySet(BasePropertySet.IdOnly)); // prettier-ignore
    expect(bad.Responses[0]!.ErrorCode).toBe(161); // ErrorInvalidIdMalformed
  });

  it('a restarted sandbox still finds copies saved before', async () => {
    const first = await start();
    await send(first.svc, { header: 'keep/org', subject: 'Grüße' });
    await first.h.close();
    const again = await start(first.dir);
    const found = await findByHeader(again.svc, 'keep/org');
    expect(found.TotalCount).toBe(1);
    expect(found.Items[0]?.Subject).toBe('Grüße');
    await send(again.svc, { header: 'next/org' });
    expect(await emlFiles(first.dir)).toHaveLength(2);
  });

  it('rejects an unescaped & with ErrorSchemaValidation (HTTP 500), delivering nothing', async () => {
    const { dir, svc } = await start();
    const e = await thrown(() => send(svc, { subject: 'A & B', raw: true }));
    expect(e['ResponseCode']).toBe(355); // ErrorSchemaValidation
    expect(e['HttpStatusCode']).toBe(500);
    expect(await emlFiles(dir)).toHaveLength(0);
    const f = await thrown(() => findByHeader(svc, 'a&b', true));
    expect(f['ResponseCode']).toBe(355);
  });

  it('decodes values exactly once (escaped entities stay text)', async () => {
    const { svc } = await start();
    await send(svc, { header: 'x/org', subject: '&amp; is literal' });
    expect((await findByHeader(svc, 'x/org')).Items[0]?.Subject).toBe('&amp; is literal');
  });

  it('refuses a message with no recipients, and an item class not derived from IPM.Note', async () => {
    const { dir, svc } = await start();
    expect((await thrown(() => send(svc, { to: [] })))['ErrorCode']).toBe(208); // ErrorInvalidRecipients
    const e = await thrown(() => send(svc, { itemClass: 'IPM.Appointment' }));
    expect(e['ErrorCode']).toBeTypeOf('number');
    expect(await emlFiles(dir)).toHaveLength(0);
  });

  it('FindItem with an IdOnly shape returns the header when asked for it', async () => {
    const { svc } = await start();
    await send(svc, { header: 'id1/org' });
    const view = new ItemView(1);
    view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [headerProp]);
    const found = await svc.FindItems(
      new FolderId(WellKnownFolderName.ConversationHistory),
      new SearchFilter.IsEqualTo(headerProp, 'ID1/ORG'),
      view,
    );
    expect(found.TotalCount).toBe(1);
    const props = found.Items[0]!.ExtendedProperties.GetEnumerator().map((p) => p.Value);
    expect(props).toEqual(['id1/org']);
  });

  it('refuses conversationhistory below Exchange2013, as that schema has no such folder', async () => {
    const { h, dir, svc } = await start();
    // The library itself refuses this folder for Exchange2010, so send what a client would.
    await send(svc);
    const body = h.requests[0]!.body.replace(
      'Version="Exchange2013"',
      'Version="Exchange2010_SP2"',
    );
    const res = await fetch(h.url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'text/xml' },
    });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('>a:ErrorSchemaValidation<');
    expect(await emlFiles(dir)).toHaveLength(1);
  });
});
