import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEwsTransport } from '../../src/delivery/ews-transport.js';
import type { Transport } from '../../src/delivery/transport.js';
import { createItemOk, findItemOk, getFolderOk, operationOf, startFakeEws } from './fake-ews.js';
import type { FakeEws } from './fake-ews.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const schema = path.resolve(here, '../../../shared/ews-schema/messages.xsd');
const hasSchema = existsSync(schema);
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
const skipReason = !hasXmllint
  ? 'xmllint not found (Debian: apt-get install libxml2-utils)'
  : `EWS schema not found at ${schema}`;
if (!hasXmllint || !hasSchema)
  console.warn(`ews-schema.test: schema validation skipped: ${skipReason}`);

/**
 * The element inside soap:Body as its own document, with the envelope's namespace declarations
 * copied onto it (the library declares m: and t: on the envelope only).
 */
function bodyElement(envelope: string): string {
  const inner = /<soap:Body>([\s\S]*)<\/soap:Body>/.exec(envelope)?.[1];
  if (!inner) throw new Error('no soap:Body in request');
  const rootAttrs = /^<soap:Envelope([^>]*)>/.exec(envelope)?.[1] ?? '';
  const decls = [...rootAttrs.matchAll(/\sxmlns:(\w+)="[^"]*"/g)]
    .filter((m) => m[1] !== 'soap' && !new RegExp(`^<\\w+:\\w+[^>]*\\sxmlns:${m[1]}=`).test(inner))
    .map((m) => m[0])
    .join('');
  return inner.replace(/^<([\w:]+)/, `<$1${decls}`);
}

const title = 'requests validate against the EWS schema (messages.xsd)';
describe.skipIf(!hasXmllint || !hasSchema)(
  hasXmllint && hasSchema ? title : `${title}: skipped, ${skipReason}`,
  () => {
    let fake: FakeEws;
    let transport: Transport;
    let dir: string;

    beforeAll(async () => {
      fake = await startFakeEws((r) => {
        const op = operationOf(r.body);
        return op === 'FindItem'
          ? findItemOk(1)
          : op === 'GetFolder'
            ? getFolderOk()
            : createItemOk();
      });
      transport = makeEwsTransport({
        url: fake.url,
        version: 'Exchange2013',
        timeoutMs: 5000,
        credentials: { kind: 'basic', username: 'u', password: 'p' },
        rejectUnauthorized: true,
      });
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imspooler-schema-'));
    });
    afterAll(async () => {
      await transport.close();
      await fake.close();
      await fs.rm(dir, { recursive: true, force: true });
    });

    async function validate(envelope: string): Promise<void> {
      const file = path.join(dir, `${operationOf(envelope)}-${Date.now()}.xml`);
      await fs.writeFile(file, bodyElement(envelope), 'utf8');
      try {
        execFileSync('xmllint', ['--noout', '--schema', schema, file], { stdio: 'pipe' });
      } catch (e) {
        const out = e as { stderr?: Buffer };
        throw new Error(
          `xmllint rejected ${path.basename(file)}:\n${out.stderr?.toString() ?? String(e)}`,
        );
      }
    }

    it('CreateItem (both classes, To and Cc, From, header, hostile text)', async () => {
      for (const [itemClass, group] of [
        ['IPM.Note.Microsoft.Missed', 'org'],
        ['IPM.Note', 'fed'],
      ] as const) {
        await transport.send({
          itemId: 'abc',
          group,
          itemClass,
          from: 'alice@contoso.com',
          to: ['bob@contoso.com', "o'neil&co@fabrikam.com"],
          cc: ['carol@contoso.com'],
          subject: 'Q&A <x> "y" \'z\' café 😀',
          html: '<html><body><p>a &amp; b</p>\u0001</body></html>',
          headerValue: `abc/${group}`,
        });
      }
      const bodies = fake.requests.filter((r) => operationOf(r.body) === 'CreateItem');
      expect(bodies).toHaveLength(2);
      for (const r of bodies) await validate(r.body);
    });

    it('CreateItem with Cc only', async () => {
      await transport.send({
        itemId: 'abc',
        group: 'fed',
        itemClass: 'IPM.Note',
        from: 'alice@contoso.com',
        to: [],
        cc: ['x@fabrikam.com'],
        subject: 's',
        html: 'h',
        headerValue: 'abc/fed',
      });
      await validate(fake.requests.at(-1)!.body);
    });

    it('FindItem with the IsEqualTo restriction', async () => {
      await transport.findSent('abc&<>/org');
      const r = fake.requests.at(-1)!;
      expect(operationOf(r.body)).toBe('FindItem');
      await validate(r.body);
    });

    it('GetFolder (probe)', async () => {
      await transport.probe();
      const r = fake.requests.at(-1)!;
      expect(operationOf(r.body)).toBe('GetFolder');
      await validate(r.body);
    });

    it('rejects an invalid request (the check has teeth)', async () => {
      const bad = fake.requests[0]!.body.replace(
        'MessageDisposition="SendAndSaveCopy"',
        'MessageDisposition="SendLater"',
      );
      await expect(validate(bad)).rejects.toThrow(/xmllint rejected/);
    });
  },
);
