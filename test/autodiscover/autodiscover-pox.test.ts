import { describe, expect, it } from 'vitest';
import {
  candidateUrls,
  domainOf,
  parsePoxResponse,
  poxRequest,
} from '../../src/delivery/autodiscover.js';
import { answerAutodiscover } from '../../src/sandbox/autodiscover/autodiscover-endpoint.js';

const EWS = 'http://127.0.0.1:1/EWS/Exchange.asmx';

describe('autodiscover candidates and request', () => {
  it('tries the domain, the autodiscover host, then the HTTP redirect method', () => {
    expect(domainOf('Alice@Contoso.COM')).toBe('contoso.com');
    expect(domainOf('not an address')).toBeUndefined();
    expect(domainOf('a@b@evil/x')).toBeUndefined();
    expect(candidateUrls('contoso.com')).toEqual([
      { kind: 'pox', url: 'https://contoso.com/autodiscover/autodiscover.xml' },
      { kind: 'pox', url: 'https://autodiscover.contoso.com/autodiscover/autodiscover.xml' },
      { kind: 'redirect', url: 'http://autodiscover.contoso.com/autodiscover/autodiscover.xml' },
    ]);
  });

  it('escapes the address in the request, which the sandbox reads back intact', () => {
    const xml = poxRequest("o'brien&<x>@contoso.com");
    expect(xml).toContain('<EMailAddress>o&apos;brien&amp;&lt;x&gt;@contoso.com</EMailAddress>');
    const a = answerAutodiscover(
      'POST',
      xml,
      { mailboxes: { "o'brien&<x>@contoso.com": {} } },
      EWS,
    );
    expect(parsePoxResponse(a.body)).toEqual({ kind: 'settings', ewsUrl: EWS });
  });
});

describe('reading POX answers', () => {
  const answer = (cfg: Parameters<typeof answerAutodiscover>[2], addr = 'alice@contoso.com') =>
    parsePoxResponse(answerAutodiscover('POST', poxRequest(addr), cfg, EWS).body);

  it('reads settings, preferring the EXCH (internal) EWS URL over EXPR', () => {
    expect(answer({ mailboxes: { 'alice@contoso.com': { ewsUrl: 'https://mail.contoso.com/EWS/Exchange.asmx?a=1&b=2' } } })).toEqual({ kind: 'settings', ewsUrl: 'https://mail.contoso.com/EWS/Exchange.asmx?a=1&b=2' }); // prettier-ignore
    const xml = `<?xml version="1.0"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account><Action>settings</Action>
      <Protocol><Type>EXPR</Type><EwsUrl>https://outside.contoso.com/EWS/Exchange.asmx</EwsUrl></Protocol>
      <Protocol><Type>EXCH</Type><EwsUrl>https://inside.contoso.com/EWS/Exchange.asmx</EwsUrl></Protocol></Account></Response></Autodiscover>`;
    expect(parsePoxResponse(xml)).toEqual({ kind: 'settings', ewsUrl: 'https://inside.contoso.com/EWS/Exchange.asmx' }); // prettier-ignore
  });

  it('reads redirects and errors', () => {
    expect(answer({ mailboxes: { 'alice@contoso.com': { redirectAddr: 'alice@fabrikam.com' } } })).toEqual({ kind: 'redirectAddr', address: 'alice@fabrikam.com' }); // prettier-ignore
    expect(answer({ mailboxes: { 'alice@contoso.com': { redirectUrl: 'https://x.contoso.com/autodiscover/autodiscover.xml' } } })).toEqual({ kind: 'redirectUrl', url: 'https://x.contoso.com/autodiscover/autodiscover.xml' }); // prettier-ignore
    expect(answer({})).toEqual({ kind: 'error', code: '500', message: "The email address can't be found." }); // prettier-ignore
  });

  it('refuses what is not an Autodiscover document', () => {
    expect(() => parsePoxResponse('<html><body>Sign in</body></html>')).toThrow(/not an Autodiscover/); // prettier-ignore
    expect(() => parsePoxResponse('<!DOCTYPE x [<!ENTITY a "b">]><Autodiscover/>')).toThrow(/DTD/);
  });

  it('the sandbox answers GET with the configured HTTP redirect, else 405', () => {
    expect(answerAutodiscover('GET', '', { redirectLocation: 'https://x/a' }, EWS)).toMatchObject({ status: 302, headers: { Location: 'https://x/a' } }); // prettier-ignore
    expect(answerAutodiscover('GET', '', {}, EWS).status).toBe(405);
  });
});
