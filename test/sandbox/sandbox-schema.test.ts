// The library needs util.isNullOrUndefined, gone from Node.js 23+: the product restores it the same way.
import '../../src/delivery/ews-node-compat.js';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { BasePropertySet, ItemId, PropertySet } from 'ews-javascript-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { client, findByHeader, headerProp, send, tempDir, thrown } from './ews-client.js';

const SCHEMA_DIR = path.resolve(import.meta.dirname, '../../../shared/ews-schema');
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
  ])('%s', async (name) => {
    const envelope = responses.get(name)!;
    expect(envelope).toContain('<h:ServerVersionInfo ');
    await validate(inner(envelope, 'Body'));
  });

  it('the ServerVersionInfo header validates too', async () => {
    await validate(inner(responses.get('CreateItem success')!, 'Header'));
  });
});
