import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEwsTransport } from '../../src/delivery/ews-transport.js';
import type { Transport } from '../../src/delivery/transport.js';
import {
  hasEwsSchema,
  hasXmllint,
  schemaSkipReason,
  validateEwsRequest,
} from '../support/ews-schema.js';
import { createItemOk, findItemOk, getFolderOk, operationOf, startFakeEws } from './fake-ews.js';
import type { FakeEws } from './fake-ews.js';

const hasSchema = hasEwsSchema;
const skipReason = schemaSkipReason ?? '';
if (!hasXmllint || !hasSchema)
  console.warn(`ews-schema.test: schema validation skipped: ${skipReason}`);

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

    const validate = (envelope: string) =>
      validateEwsRequest(envelope, operationOf(envelope) ?? 'request');

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

    it('CreateItem SaveOnly of a conversation-history item, with its extended properties', async () => {
      await transport.send({
        itemId: 'abc',
        group: 'history',
        itemClass: 'IPM.Note.Microsoft.Conversation',
        from: 'alice@contoso.com',
        to: ['bob@contoso.com', "o'neil&co@fabrikam.com"],
        cc: [],
        subject: 'Q&A <x> "y" café 😀',
        html: '<div class="imspooler-transcript"><p>a &amp; b</p></div>',
        headerValue: 'abc/history',
        history: { conversationAt: '2026-11-24T09:58:03.000Z' },
      });
      const body = fake.requests.at(-1)!.body;
      expect(operationOf(body)).toBe('CreateItem');
      expect(body).toContain('MessageDisposition="SaveOnly"');
      expect(body).toContain(
        '<m:SavedItemFolderId><t:DistinguishedFolderId Id="conversationhistory"',
      );
      expect(body).toContain('<t:ItemClass>IPM.Note.Microsoft.Conversation</t:ItemClass>');
      expect(body).toMatch(
        /<t:ExtendedFieldURI PropertyTag="0x0E07" PropertyType="Integer"(\/>|><\/t:ExtendedFieldURI>)<t:Value>1<\/t:Value>/,
      );
      for (const tag of ['0x0039', '0x0E06']) {
        expect(body).toMatch(
          new RegExp(
            `<t:ExtendedFieldURI PropertyTag="${tag}" PropertyType="SystemTime"(/>|></t:ExtendedFieldURI>)<t:Value>2026-11-24T09:58:03\\.000(Z|\\+00:00)</t:Value>`,
          ),
        );
      }
      expect(body).toContain('PropertyName="X-IMSpooler-Item-Id"');
      expect(body).toContain('<t:Value>abc/history</t:Value>');
      await validate(body);
      // The same request with a property type the schema does not know is refused.
      await expect(
        validate(body.replace('PropertyType="Integer"', 'PropertyType="Int32"')),
      ).rejects.toThrow(/xmllint rejected/);
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
