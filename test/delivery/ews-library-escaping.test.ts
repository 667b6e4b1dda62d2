// The library needs util.isNullOrUndefined, gone from Node.js 23+: the product restores it the same way.
import '../../src/delivery/ews-node-compat.js';
import {
  BodyType,
  DefaultExtendedPropertySet,
  EmailAddress,
  EmailMessage,
  ExchangeService,
  ExchangeVersion,
  ExtendedPropertyDefinition,
  FolderId,
  ItemView,
  MapiPropertyType,
  MessageBody,
  SearchFilter,
  Uri,
  WebCredentials,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { XhrApi } from '@ewsjs/xhr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItemOk, findItemOk, operationOf, startFakeEws } from './fake-ews.js';
import type { FakeEws } from './fake-ews.js';

/**
 * Pins down what ews-javascript-api 0.15.3 does with values: it writes them verbatim, escaping
 * nothing. The transport therefore escapes every value once. Pre-escaped text is used as the probe
 * (an escaping library would turn `&amp;` into `&amp;amp;`) so the requests stay well-formed.
 * If this test starts failing after a library upgrade, the transport would escape twice.
 */
describe('ews-javascript-api writes values verbatim', () => {
  let fake: FakeEws;
  let svc: ExchangeService;
  const probe = 'P&amp;Q &lt;x&gt; &quot;y&quot; &apos;z&apos;';
  const prop = new ExtendedPropertyDefinition(
    DefaultExtendedPropertySet.InternetHeaders,
    'X-IMSpooler-Item-Id',
    MapiPropertyType.String,
  );

  beforeAll(async () => {
    fake = await startFakeEws((r) =>
      operationOf(r.body) === 'FindItem' ? findItemOk(0) : createItemOk(),
    );
    svc = new ExchangeService(ExchangeVersion.Exchange2013);
    svc.Url = new Uri(fake.url);
    svc.Credentials = new WebCredentials('u', 'p');
    svc.XHRApi = new XhrApi({ timeout: 2000, rejectUnauthorized: true });
  });
  afterAll(() => fake.close());

  it('in subject, body, recipients, From and extended property values', async () => {
    const m = new EmailMessage(svc);
    m.Subject = `S ${probe}`;
    m.Body = new MessageBody(BodyType.HTML, `B ${probe}`);
    m.From = new EmailAddress('f&amp;x@contoso.com');
    m.ToRecipients.Add(new EmailAddress('t&amp;x@contoso.com'));
    m.CcRecipients.Add(new EmailAddress('c&amp;x@contoso.com'));
    m.SetExtendedProperty(prop, `H ${probe}`);
    await m.SendAndSaveCopy(new FolderId(WellKnownFolderName.ConversationHistory));
    const xml = fake.requests.at(-1)!.body;
    expect(xml).toContain(`<t:Subject>S ${probe}</t:Subject>`);
    expect(xml).toContain(`<t:Body BodyType="HTML">B ${probe}</t:Body>`);
    expect(xml).toContain(`<t:Value>H ${probe}</t:Value>`);
    for (const a of ['f', 't', 'c'])
      expect(xml).toContain(`<t:EmailAddress>${a}&amp;x@contoso.com</t:EmailAddress>`);
  });

  it('in search filter constants (attribute values)', async () => {
    await svc.FindItems(
      new FolderId(WellKnownFolderName.ConversationHistory),
      new SearchFilter.IsEqualTo(prop, `V ${probe}`),
      new ItemView(1),
    );
    expect(fake.requests.at(-1)!.body).toContain(`<t:Constant Value="V ${probe}">`);
  });
});
