// The library needs util.isNullOrUndefined, gone from Node.js 23+: the product restores it the same way.
import '../../src/delivery/ews-node-compat.js';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { BasePropertySet, ItemId, PropertySet } from 'ews-javascript-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEwsTransport } from '../../src/delivery/ews-transport.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { client, findByHeader, headerProp, send, tempDir, thrown } from './ews-client.js';

const SCHEMA_DIR = process.env.IMSPOOLER_EWS_SCHEMA_DIR
  ? path.resolve(process.env.IMSPOOLER_EWS_SCHEMA_DIR)
  : path.resolve(import.meta.dirname, '../../../shared/ews-schema');
const MESSAGES = path.join(SCHEMA_DIR, 'messages.xsd');
const hasXmllint = (() => {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const canValidate = hasXmllint && existsSync(MESSAGES);
if (!canValidate) {
  console.warn(`sandbox schema tests skipped: ${hasXmllint ? `no schema at ${MESSAGES}` : 'xmllint not installed (apt-get install libxml2-utils)'}`); // prettier-ignore
}

/** The element inside s:Body (or s:Header), as its own document: it declares its namespaces. */
function inner(envelope: string, part: 'Body' | 'Header'): string {
  const m = new RegExp(`<s:${part}[^>]*>([\\s\\S]*)</s:${part}>`).exec(envelope);
  if (!m?.[1]) throw new Error(`no s:${part} in ${envelope}`);
  return `<?xml version="1.0" encoding="utf-8"?>${m[1]}`;
}

let dir: string;
async function validate(xml: string): Promise<string> {
  const file = path.join(dir, `doc-${Math.random().toString(36).slice(2)}.xml`);
  await fsp.writeFile(file, xml);
  try {
    return execFileSync('xmllint', ['--noout', '--schema', MESSAGES, file], { encoding: 'utf8', stdio: 'pipe' }); // prettier-ignore
  } catch (e) {
    throw new Error(`schema validation failed:\n${(e as { stderr?: string }).stderr}\n${xml}`);
  }
}

describe.skipIf(!canValidate)('sandbox responses validate against messages.xsd', () => {
  let h: SandboxHandle;
  const responses = new Map<string, string>();
  beforeAll(async () => {
    dir = await tempDir('sbx-schema');
    h = await startSandbox({ mailboxDir: path.join(dir, 'mailbox') });
    const svc = client(h.url);
    const last = () => h.requests.at(-1)!.response;
    await findByHeader(svc, 'none/org');
    responses.set('FindItem, no result', last());
    await send(svc, { subject: 'Tom & Jerry – ü', html: '<p>a & b</p>', cc: ['c@fabrikam.com'], from: 'alice@contoso.com', header: 'v/org' }); // prettier-ignore
    responses.set('CreateItem success', last());
    const found = await findByHeader(svc, 'v/org');
    responses.set('FindItem, one result', last());
    await svc.BindToItems([found.Items[0]!.Id], new PropertySet(BasePropertySet.FirstClassProperties, [headerProp])); // prettier-ignore
    responses.set('GetItem found, with the header', last());
    await svc.BindToItems([new ItemId('Zm9v')], new PropertySet(BasePropertySet.IdOnly));
    responses.set('GetItem malformed id', last());
    h.faults.set({ recipientErrors: { 'bad@contoso.com': 'ErrorInvalidRecipients' } });
    await thrown(() => send(svc, { to: ['bad@contoso.com'] }));
    responses.set('CreateItem recipient error', last());
    h.faults.clear();
    // A conversation-history item, saved as the daemon saves it, and found again.
    const t = makeEwsTransport({ url: h.url, version: 'Exchange2013', timeoutMs: 5000, credentials: { kind: 'basic', username: 'u', password: 'p' }, rejectUnauthorized: true }); // prettier-ignore
    await t.send({ itemId: 'h', group: 'history', itemClass: 'IPM.Note.Microsoft.Conversation', from: 'alice@contoso.com', to: ['bob@contoso.com'], cc: [], subject: 'Q & A', html: '<p>x</p>', headerValue: 'h/history', history: { conversationAt: '2026-11-23T16:02:10.000Z' } }); // prettier-ignore
    responses.set('CreateItem SaveOnly into conversationhistory', last());
    await t.findSent('h/history');
    responses.set('FindItem finds the saved history item', last());
    await t.close();
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    'FindItem, no result',
    'CreateItem success',
    'FindItem, one result',
    'GetItem found, with the header',
    'GetItem malformed id',
    'CreateItem recipient error',
    'CreateItem SaveOnly into conversationhistory',
    'FindItem finds the saved history item',
  ])('%s', async (name) => {
    const envelope = responses.get(name)!;
    expect(envelope).toContain('<h:ServerVersionInfo ');
    await validate(inner(envelope, 'Body'));
  });

  it('the ServerVersionInfo header validates too', async () => {
    await validate(inner(responses.get('CreateItem success')!, 'Header'));
  });
});
