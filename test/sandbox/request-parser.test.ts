import { describe, expect, it } from 'vitest';
import { parseEnvelope, SchemaViolation } from '../../src/sandbox/request-parser.js';

const env = (body: string, version = 'Exchange2013') =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header><t:RequestServerVersion Version="${version}"/></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
const create = (message: string) =>
  env(`<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:SavedItemFolderId><t:DistinguishedFolderId Id="conversationhistory"/></m:SavedItemFolderId><m:Items><t:Message>${message}</t:Message></m:Items></m:CreateItem>`); // prettier-ignore
const to =
  '<t:ToRecipients><t:Mailbox><t:EmailAddress>bob@contoso.com</t:EmailAddress></t:Mailbox></t:ToRecipients>';

describe('parseEnvelope', () => {
  it('reads a CreateItem as the library sends it, by local name, decoding entities once', () => {
    const parsed = parseEnvelope(
      create(
        '<t:ItemClass>IPM.Note.Microsoft.Missed</t:ItemClass><t:Subject>A &amp;amp; B &#233; &#x1F642; ü</t:Subject>' +
          '<t:Body BodyType="HTML">&lt;p&gt;x&lt;/p&gt;</t:Body>' +
          '<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="InternetHeaders" PropertyName="X-IMSpooler-Item-Id" PropertyType="String"/><t:Value>ab&amp;c/org</t:Value></t:ExtendedProperty>' +
          to +
          '<t:From><t:Mailbox><t:EmailAddress>alice@contoso.com</t:EmailAddress></t:Mailbox></t:From>',
      ),
    );
    expect(parsed.serverVersion).toBe('Exchange2013');
    expect(parsed.request).toEqual({
      op: 'CreateItem',
      disposition: 'SendAndSaveCopy',
      savedFolder: 'conversationhistory',
      messages: [
        {
          itemClass: 'IPM.Note.Microsoft.Missed',
          subject: 'A &amp; B é 🙂 ü',
          bodyType: 'HTML',
          body: '<p>x</p>',
          to: ['bob@contoso.com'],
          cc: [],
          bcc: [],
          from: 'alice@contoso.com',
          internetHeaders: { 'X-IMSpooler-Item-Id': 'ab&c/org' },
          tagged: {},
        },
      ],
    });
  });

  it('reads properties by MAPI tag, hex or decimal, with their type', () => {
    const prop = (tag: string, type: string, value: string) =>
      `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="${tag}" PropertyType="${type}"/><t:Value>${value}</t:Value></t:ExtendedProperty>`;
    const parsed = parseEnvelope(
      create(
        '<t:ItemClass>IPM.Note.Microsoft.Conversation</t:ItemClass>' +
          prop('0x0E07', 'Integer', '1') +
          prop('57', 'SystemTime', '2026-11-23T16:02:10Z') +
          prop('0xe06', 'SystemTime', '2026-11-23T16:02:10.000+00:00') +
          to,
      ),
    );
    const req = parsed.request;
    expect(req.op === 'CreateItem' && req.messages[0]?.tagged).toEqual({
      0x0e07: { type: 'Integer', value: '1' },
      0x0039: { type: 'SystemTime', value: '2026-11-23T16:02:10Z' },
      0x0e06: { type: 'SystemTime', value: '2026-11-23T16:02:10.000+00:00' },
    });
    for (const bad of ['0x10000', '0xZZ', '-1', '65536', '']) {
      expect(() => parseEnvelope(create(prop(bad, 'Integer', '1') + to))).toThrow(SchemaViolation);
    }
  });

  it('reads the FindItem restriction on the header', () => {
    const xml = env(
      '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="1" Offset="0" BasePoint="Beginning"/>' +
        '<m:Restriction><t:IsEqualTo><t:ExtendedFieldURI DistinguishedPropertySetId="InternetHeaders" PropertyName="X-IMSpooler-Item-Id" PropertyType="String"/><t:FieldURIOrConstant><t:Constant Value="a&amp;b/fed"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>' +
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="conversationhistory"/></m:ParentFolderIds></m:FindItem>',
    );
    expect(parseEnvelope(xml).request).toEqual({
      op: 'FindItem',
      folders: ['conversationhistory'],
      restriction: { kind: 'header', name: 'X-IMSpooler-Item-Id', value: 'a&b/fed' },
      maxEntries: 1,
      offset: 0,
      headers: [],
    });
  });

  it.each([
    ['an unescaped &', create(`<t:Subject>A & B</t:Subject>${to}`)],
    ['an unescaped <', create(`<t:Subject>5 < 6</t:Subject>${to}`)],
    ['an undeclared entity', create(`<t:Subject>&nbsp;</t:Subject>${to}`)],
    ['a DTD', `<!DOCTYPE x [<!ENTITY e "y">]>${create(to)}`],
    ['a bad character reference', create(`<t:Subject>&#0;</t:Subject>${to}`)],
    ['elements out of schema order', create(`${to}<t:Subject>late</t:Subject>`)],
    ['an unknown element', create(`<t:Colour>red</t:Colour>${to}`)],
    [
      'a mailbox without address',
      create('<t:ToRecipients><t:Mailbox><t:Name>x</t:Name></t:Mailbox></t:ToRecipients>'),
    ],
    ['CreateItem without Items', env('<m:CreateItem MessageDisposition="SendOnly"/>')],
    [
      'a bad MessageDisposition',
      env('<m:CreateItem MessageDisposition="Yes"><m:Items/></m:CreateItem>'),
    ],
    ['FindItem without ParentFolderIds', env('<m:FindItem><m:ItemShape/></m:FindItem>')],
    ['GetItem without ItemIds', env('<m:GetItem><m:ItemShape/></m:GetItem>')],
    ['an empty Body', env('')],
    ['truncated XML', create(to).slice(0, -10)],
  ])('rejects %s as a schema violation', (_name, xml) => {
    expect(() => parseEnvelope(xml)).toThrow(SchemaViolation);
  });
});
