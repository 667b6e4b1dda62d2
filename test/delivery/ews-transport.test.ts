import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/errors/errors.js';
import type { EwsTransportOptions } from '../../src/delivery/ews-transport.js';
import { makeEwsTransport } from '../../src/delivery/ews-transport.js';
import type { SendRequest, Transport } from '../../src/delivery/transport.js';
import {
  createItemError,
  createItemOk,
  findItemOk,
  getFolderOk,
  operationOf,
  serverBusyFault,
  startFakeEws,
} from './fake-ews.js';
import type { FakeEws, Reply } from './fake-ews.js';

const PASSWORD = 'pa55&<word>';
let fake: FakeEws | undefined;
let transport: Transport | undefined;

afterEach(async () => {
  await transport?.close();
  await fake?.close();
  transport = undefined;
  fake = undefined;
});

async function setup(
  answer: (body: string, n: number) => Reply,
  over: Partial<EwsTransportOptions> = {},
) {
  fake = await startFakeEws((r, n) => answer(r.body, n));
  transport = makeEwsTransport({
    url: fake.url,
    version: 'Exchange2013',
    timeoutMs: 2000,
    credentials: { kind: 'basic', username: 'CONTOSO\\alice', password: PASSWORD },
    rejectUnauthorized: true,
    ...over,
  });
  return { fake, transport };
}

const request = (over: Partial<SendRequest> = {}): SendRequest => ({
  itemId: 'a1b2c3d4e5f6',
  group: 'org',
  itemClass: 'IPM.Note.Microsoft.Missed',
  from: 'alice@contoso.com',
  to: ['bob@contoso.com', "o'neil&co@contoso.com"],
  cc: ['carol@contoso.com'],
  subject: 'Q&A <today> "3 pm" it\'s café 日本 😀',
  html: '<p>Are you free at 3? Tom &amp; Jerry</p>',
  headerValue: 'a1b2c3d4e5f6/org',
  ...over,
});

/**
 * An NTLM type 2 (challenge) message as Exchange sends it: NTLMv2 session security and target info.
 * (ntlm-client 3's NTLMv1 path is broken, "Invalid key length"; servers of this decade offer v2.)
 */
function ntlmChallenge(): string {
  const domain = Buffer.from('CONTOSO', 'utf16le');
  const info = Buffer.concat([
    Buffer.from([2, 0, domain.length, 0]),
    domain,
    Buffer.from([0, 0, 0, 0]),
  ]);
  const head = Buffer.alloc(48);
  head.write('NTLMSSP\0', 0, 'ascii');
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(domain.length, 12);
  head.writeUInt16LE(domain.length, 14);
  head.writeUInt32LE(48, 16);
  head.writeUInt32LE(0x1 | 0x200 | 0x80000 | 0x800000, 20);
  Buffer.from('0123456789abcdef', 'hex').copy(head, 24);
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(48 + domain.length, 44);
  return Buffer.concat([head, domain, info]).toString('base64');
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
});

/** Rejection of `p` as a DeliveryError (fails the test otherwise). */
async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const e: unknown = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DeliveryError);
  return e as DeliveryError;
}

describe('EWS transport: what it sends', () => {
  it('sends CreateItem SendAndSaveCopy into conversationhistory with class, header and escaped values', async () => {
    const { fake, transport } = await setup(() => createItemOk());
    await transport.send(request());
    expect(fake.requests).toHaveLength(1);
    const [rec] = fake.requests;
    const xml = rec!.body;
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(rec!.headers['content-type']).toMatch(/text\/xml; charset=utf-8/i);
    expect(xml).toContain('<t:RequestServerVersion Version="Exchange2013">');
    expect(xml).toContain('<m:CreateItem MessageDisposition="SendAndSaveCopy">');
    expect(xml).toContain('<t:DistinguishedFolderId Id="conversationhistory">');
    expect(xml).toContain(
      '<t:ExtendedFieldURI DistinguishedPropertySetId="InternetHeaders" PropertyName="X-IMSpooler-Item-Id" PropertyType="String">',
    );
    // Escaped exactly once: the raw XML has entities, the parsed document has the original text.
    expect(xml).toContain('Q&amp;A &lt;today&gt; &quot;3 pm&quot; it&apos;s café 日本 😀');
    const msg = parser.parse(xml).Envelope.Body.CreateItem.Items.Message;
    expect(msg.ItemClass).toBe('IPM.Note.Microsoft.Missed');
    expect(msg.Subject).toBe(request().subject);
    expect(msg.Body['#text']).toBe(request().html);
    expect(msg.Body['@BodyType']).toBe('HTML');
    expect(msg.ExtendedProperty.Value).toBe('a1b2c3d4e5f6/org');
    expect(msg.ToRecipients.Mailbox.map((m: { EmailAddress: string }) => m.EmailAddress)).toEqual([
      'bob@contoso.com',
      "o'neil&co@contoso.com",
    ]);
    expect(msg.CcRecipients.Mailbox.EmailAddress).toBe('carol@contoso.com');
    expect(msg.From.Mailbox.EmailAddress).toBe('alice@contoso.com');
  });

  it('sends the federated class and leaves From out when asked', async () => {
    const { fake, transport } = await setup(() => createItemOk(), { setFrom: false });
    await transport.send(request({ itemClass: 'IPM.Note', group: 'fed', headerValue: 'x/fed' }));
    const msg = parser.parse(fake.requests[0]!.body).Envelope.Body.CreateItem.Items.Message;
    expect(msg.ItemClass).toBe('IPM.Note');
    expect(msg.From).toBeUndefined();
  });

  it('drops characters XML 1.0 cannot carry instead of sending an invalid request', async () => {
    const { fake, transport } = await setup(() => createItemOk());
    await transport.send(request({ subject: 'bell\u0007 and \uD800 lone', html: 'a\u0000b' }));
    const xml = fake.requests[0]!.body;
    expect(XMLValidator.validate(xml)).toBe(true);
    const msg = parser.parse(xml).Envelope.Body.CreateItem.Items.Message;
    expect(msg.Subject).toBe('bell and  lone');
    expect(msg.Body['#text']).toBe('ab');
  });

  it('announces the configured server version', async () => {
    const { fake, transport } = await setup(() => createItemOk(), { version: 'Exchange2016' });
    await transport.send(request());
    expect(fake.requests[0]!.body).toContain('<t:RequestServerVersion Version="Exchange2016">');
  });

  it('findSent searches conversationhistory with IsEqualTo on the header property', async () => {
    const { fake, transport } = await setup((_b, n) => findItemOk(n === 1 ? 1 : 0));
    await expect(transport.findSent('a1b2/org')).resolves.toBe(true);
    await expect(transport.findSent('a&b/<fed>')).resolves.toBe(false);
    const xml = fake.requests[1]!.body;
    expect(operationOf(xml)).toBe('FindItem');
    expect(XMLValidator.validate(xml)).toBe(true);
    const find = parser.parse(xml).Envelope.Body.FindItem;
    expect(find.ParentFolderIds.DistinguishedFolderId['@Id']).toBe('conversationhistory');
    expect(find.IndexedPageItemView['@MaxEntriesReturned']).toBe('1');
    const eq = find.Restriction.IsEqualTo;
    expect(eq.ExtendedFieldURI['@PropertyName']).toBe('X-IMSpooler-Item-Id');
    expect(eq.ExtendedFieldURI['@DistinguishedPropertySetId']).toBe('InternetHeaders');
    expect(eq.FieldURIOrConstant.Constant['@Value']).toBe('a&b/<fed>');
  });

  it('probe binds Conversation History and describes the server', async () => {
    const { fake, transport } = await setup(() => getFolderOk());
    const text = await transport.probe();
    expect(text).toContain('Exchange 15.2.1544');
    expect(text).toContain('Conversation History');
    expect(operationOf(fake.requests[0]!.body)).toBe('GetFolder');
  });
});

describe('EWS transport: authentication', () => {
  it('basic sends the credentials only in the Authorization header', async () => {
    const { fake, transport } = await setup(() => createItemOk());
    await transport.send(request());
    const auth = fake.requests[0]!.headers.authorization ?? '';
    expect(Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8')).toBe(
      `CONTOSO\\alice:${PASSWORD}`,
    );
    expect(fake.requests[0]!.body).not.toContain('pa55');
  });

  it('oauth sends a bearer token, reuses it, and fetches a new one after a 401', async () => {
    let calls = 0;
    const tokens = ['tok-one', 'tok-two'];
    const { fake, transport } = await setup(
      (_b, n) => (n === 2 ? { status: 401 } : createItemOk()),
      {
        credentials: { kind: 'oauth', token: async () => tokens[calls++] ?? 'tok-x' },
      },
    );
    await transport.send(request());
    const err = await failure(transport.send(request()));
    expect(err.code).toBe('Http401');
    expect(err.message).not.toContain('tok-one');
    await transport.send(request());
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer tok-one',
      'Bearer tok-one',
      'Bearer tok-two',
    ]);
  });

  it('oauth token failures become TokenUnavailable without a request', async () => {
    const { fake, transport } = await setup(() => createItemOk(), {
      credentials: {
        kind: 'oauth',
        token: async () => {
          throw new Error('token command exited with 1');
        },
      },
    });
    const err = await failure(transport.send(request()));
    expect(err.code).toBe('TokenUnavailable');
    expect(err.unclear).toBe(false);
    expect(fake.requests).toHaveLength(0);
  });

  it('ntlm negotiates in the XHR layer and never sends the password as Basic', async () => {
    const type2 = ntlmChallenge();
    const { fake, transport } = await setup(
      (_b, n) =>
        n === 1
          ? { status: 401, headers: { 'www-authenticate': `NTLM ${type2}` } }
          : createItemOk(),
      { credentials: { kind: 'ntlm', username: 'alice', password: PASSWORD, domain: 'CONTOSO' } },
    );
    await transport.send(request());
    const [negotiate, authenticated] = fake.requests;
    expect(negotiate!.headers.authorization).toMatch(/^NTLM TlRMTVNTUAAB/);
    expect(authenticated!.headers.authorization).toMatch(/^NTLM TlRMTVNTUAAD/);
    const type3 = Buffer.from(authenticated!.headers.authorization!.slice(5), 'base64');
    expect(type3.includes(Buffer.from('alice', 'utf16le'))).toBe(true);
    expect(type3.includes(Buffer.from('CONTOSO', 'utf16le'))).toBe(true);
    expect(operationOf(authenticated!.body)).toBe('CreateItem');
    for (const r of fake.requests) expect(r.headers.authorization ?? '').not.toMatch(/^Basic/);
  });
});

describe('EWS transport: failures become DeliveryErrors', () => {
  it('ErrorServerBusy fault carries BackOffMilliseconds', async () => {
    const { transport } = await setup(() => serverBusyFault(2500));
    const err = await failure(transport.send(request()));
    expect(err).toMatchObject({
      code: 'ErrorServerBusy',
      httpStatus: 500,
      backOffMs: 2500,
      unclear: false,
    });
  });

  it('a response-level error keeps its EWS code, known to the library or not', async () => {
    const { transport } = await setup((_b, n) =>
      n === 1
        ? createItemError('ErrorInvalidRecipients', 'One or more recipients are invalid.')
        : createItemError('ErrorBrandNewThing', 'Something new.', 900),
    );
    const bad = await failure(transport.send(request()));
    expect(bad).toMatchObject({ code: 'ErrorInvalidRecipients', unclear: false });
    expect(bad.message).toContain('recipients are invalid');
    const unknown = await failure(transport.send(request()));
    expect(unknown).toMatchObject({ code: 'ErrorBrandNewThing', backOffMs: 900, unclear: false });
  });

  it('401 and 503 become Http401 / Http503 with no secrets in the message', async () => {
    const { transport } = await setup((_b, n) => (n === 1 ? { status: 401 } : { status: 503 }));
    const e401 = await failure(transport.send(request()));
    expect(e401).toMatchObject({ code: 'Http401', httpStatus: 401, unclear: false });
    const e503 = await failure(transport.send(request()));
    expect(e503).toMatchObject({ code: 'Http503', httpStatus: 503, unclear: false });
    expect(e503.message).toBe('HTTP 503: Service Unavailable');
    for (const e of [e401, e503]) {
      const all = `${e.message} ${JSON.stringify(e)} ${String(e.stack)}`;
      expect(all).not.toContain('pa55');
      expect(all).not.toContain('Basic ');
      expect(all).not.toContain('Are you free');
    }
  });

  it('a dropped connection is unclear for a send, not for a search', async () => {
    const { transport } = await setup(() => ({ destroy: true }));
    expect(await failure(transport.send(request()))).toMatchObject({
      code: 'ConnectionReset',
      unclear: true,
    });
    expect(await failure(transport.findSent('x/org'))).toMatchObject({
      code: 'ConnectionReset',
      unclear: false,
    });
  });

  it('a refused connection is never unclear', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    transport = makeEwsTransport({
      url: `http://127.0.0.1:${port}/EWS/Exchange.asmx`,
      version: 'Exchange2013',
      timeoutMs: 2000,
      credentials: { kind: 'basic', username: 'u', password: PASSWORD },
      rejectUnauthorized: true,
    });
    expect(await failure(transport.send(request()))).toMatchObject({
      code: 'ConnectionRefused',
      unclear: false,
    });
  });

  it('a server that never answers times out on time', async () => {
    const { fake, transport } = await setup(() => ({ hang: true }), { timeoutMs: 300 });
    const t0 = Date.now();
    const err = await failure(transport.send(request()));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err).toMatchObject({ code: 'Timeout', unclear: true });
    expect(err.message).toContain('300 ms');
    expect(await failure(transport.findSent('x/org'))).toMatchObject({
      code: 'Timeout',
      unclear: false,
    });
    expect(fake.requests).toHaveLength(2);
  });

  it('abort rejects at once: unclear once the request is out, clear before', async () => {
    const { fake, transport } = await setup(() => ({ hang: true }), { timeoutMs: 10_000 });
    const ac = new AbortController();
    const pending = transport.send(request(), ac.signal);
    await fake.received(1);
    const t0 = Date.now();
    ac.abort();
    const err = await failure(pending);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(err).toMatchObject({ code: 'Aborted', unclear: true });

    const before = new AbortController();
    before.abort();
    expect(await failure(transport.send(request(), before.signal))).toMatchObject({
      code: 'Aborted',
      unclear: false,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses work after close', async () => {
    const { transport } = await setup(() => createItemOk());
    await transport.close();
    expect(await failure(transport.probe())).toMatchObject({ code: 'TransportClosed' });
  });
});
