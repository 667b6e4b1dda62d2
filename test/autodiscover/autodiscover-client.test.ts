import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  discoverEwsUrl,
  type AutodiscoverOptions,
} from '../../src/delivery/autodiscover-client.js';
import type { EwsCredentials } from '../../src/delivery/ews-service.js';
import { isDeliveryError } from '../../src/errors/errors.js';
import type { SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { closedPort, hostMap, sandbox } from './support.js';

const open: SandboxHandle[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});
let nowhere = 0;
beforeAll(async () => {
  nowhere = await closedPort();
});

const BASIC: EwsCredentials = { kind: 'basic', username: 'alice', password: 'pw' };
const opts = (
  urlFor: AutodiscoverOptions['urlFor'],
  credentials: EwsCredentials = BASIC,
): AutodiscoverOptions => ({
  credentials,
  timeoutMs: 3000,
  rejectUnauthorized: true,
  ...(urlFor ? { urlFor } : {}),
});

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (isDeliveryError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('Autodiscover against the sandbox over real HTTP', () => {
  it('finds the EWS URL at https://<domain>/autodiscover/autodiscover.xml', async () => {
    const s = await sandbox({ auth: { username: 'alice', password: 'pw' }, autodiscover: { mailboxes: { 'alice@contoso.com': {} } } }, open); // prettier-ignore
    const m = hostMap({ 'contoso.com': s.origin }, nowhere);
    const found = await discoverEwsUrl('alice@contoso.com', opts(m.urlFor));
    expect(found).toEqual({ ewsUrl: s.url, address: 'alice@contoso.com', via: 'https://contoso.com/autodiscover/autodiscover.xml' }); // prettier-ignore
    expect(m.seen).toEqual(['https://contoso.com/autodiscover/autodiscover.xml']);
  });

  it('authenticates with NTLM, and a wrong NTLM password is a refusal, not "not found"', async () => {
    const account = { username: 'alice', domain: 'CONTOSO', password: 's3cret' };
    const s = await sandbox({ auth: { ntlm: account }, autodiscover: { mailboxes: { 'alice@contoso.com': {} } } }, open); // prettier-ignore
    const m = hostMap({ 'contoso.com': s.origin }, nowhere);
    const ntlm = (password: string): EwsCredentials => ({ kind: 'ntlm', username: 'alice', domain: 'CONTOSO', password }); // prettier-ignore
    expect((await discoverEwsUrl('alice@contoso.com', opts(m.urlFor, ntlm('s3cret')))).ewsUrl).toBe(s.url); // prettier-ignore
    const err = await failure(discoverEwsUrl('alice@contoso.com', opts(m.urlFor, ntlm('wrong'))));
    expect(err.code).toBe('AuthenticationFailed');
    expect(err.message).toContain('https://contoso.com/autodiscover/autodiscover.xml');
    expect(err.message).not.toContain('wrong');
  });

  it('falls back to https://autodiscover.<domain> when the domain host refuses', async () => {
    const s = await sandbox({ autodiscover: { mailboxes: { 'alice@contoso.com': { ewsUrl: 'https://mail.contoso.com/EWS/Exchange.asmx' } } } }, open); // prettier-ignore
    const m = hostMap({ 'autodiscover.contoso.com': s.origin }, nowhere);
    const found = await discoverEwsUrl('alice@contoso.com', opts(m.urlFor));
    expect(found.ewsUrl).toBe('https://mail.contoso.com/EWS/Exchange.asmx');
    expect(found.via).toBe('https://autodiscover.contoso.com/autodiscover/autodiscover.xml');
  });

  it('uses the HTTP redirect method, following only a redirect to https', async () => {
    const server = await sandbox({ auth: { username: 'alice', password: 'pw' }, autodiscover: { mailboxes: { 'alice@contoso.com': {} } } }, open); // prettier-ignore
    const redirector = await sandbox({ autodiscover: { redirectLocation: 'https://mail.contoso.com/autodiscover/autodiscover.xml' } }, open); // prettier-ignore
    const m = hostMap({ 'autodiscover.contoso.com': redirector.origin, 'mail.contoso.com': server.origin }, nowhere); // prettier-ignore
    // Both https candidates go nowhere; only the plain-http host answers, with a 302.
    const m2 = hostMap({ 'mail.contoso.com': server.origin }, nowhere);
    const viaRedirect = (u: URL) => (u.protocol === 'http:' ? m.urlFor(u) : m2.urlFor(u));
    const found = await discoverEwsUrl('alice@contoso.com', opts(viaRedirect));
    expect(found).toMatchObject({ ewsUrl: server.url, via: 'https://mail.contoso.com/autodiscover/autodiscover.xml' }); // prettier-ignore

    const plain = await sandbox({ autodiscover: { redirectLocation: 'http://mail.contoso.com/autodiscover/autodiscover.xml' } }, open); // prettier-ignore
    const m3 = hostMap({ 'autodiscover.contoso.com': plain.origin, 'mail.contoso.com': server.origin }, nowhere); // prettier-ignore
    const err = await failure(discoverEwsUrl('alice@contoso.com', opts((u) => (u.protocol === 'http:' ? m3.urlFor(u) : m2.urlFor(u))))); // prettier-ignore
    expect(err.message).toContain('refused (not https)');
  });

  it('follows a redirect to another address (another domain) and to another https URL', async () => {
    const contoso = await sandbox({ autodiscover: { mailboxes: { 'alice@contoso.com': { redirectAddr: 'alice@fabrikam.com' } } } }, open); // prettier-ignore
    const fabrikam = await sandbox({ autodiscover: { mailboxes: { 'alice@fabrikam.com': { redirectUrl: 'https://ad2.fabrikam.com/autodiscover/autodiscover.xml' } } } }, open); // prettier-ignore
    const final = await sandbox({ autodiscover: { mailboxes: { 'alice@fabrikam.com': {} } } }, open); // prettier-ignore
    const m = hostMap({ 'contoso.com': contoso.origin, 'fabrikam.com': fabrikam.origin, 'ad2.fabrikam.com': final.origin }, nowhere); // prettier-ignore
    const found = await discoverEwsUrl('alice@contoso.com', opts(m.urlFor));
    expect(found).toEqual({ ewsUrl: final.url, address: 'alice@fabrikam.com', via: 'https://ad2.fabrikam.com/autodiscover/autodiscover.xml' }); // prettier-ignore
  });

  it('stops a redirect loop after 10 redirects', async () => {
    const s = await sandbox({ autodiscover: { mailboxes: { 'a@contoso.com': { redirectAddr: 'b@contoso.com' }, 'b@contoso.com': { redirectAddr: 'a@contoso.com' } } } }, open); // prettier-ignore
    const m = hostMap({ 'contoso.com': s.origin }, nowhere);
    const err = await failure(discoverEwsUrl('a@contoso.com', opts(m.urlFor)));
    expect(err.code).toBe('AutodiscoverFailed');
    expect(err.message).toMatch(/more than 10 redirects/);
    expect(m.seen.length).toBe(11);
  });

  it('fails with every URL tried when no host knows the address', async () => {
    const s = await sandbox({ autodiscover: { mailboxes: {} } }, open);
    const m = hostMap({ 'contoso.com': s.origin }, nowhere);
    const err = await failure(discoverEwsUrl('nobody@contoso.com', opts(m.urlFor)));
    expect(err.code).toBe('AutodiscoverFailed');
    expect(err.message).toContain("https://contoso.com/autodiscover/autodiscover.xml: error 500 The email address can't be found."); // prettier-ignore
    expect(err.message).toContain(
      'https://autodiscover.contoso.com/autodiscover/autodiscover.xml: ',
    );
    expect(err.message).toContain(
      'http://autodiscover.contoso.com/autodiscover/autodiscover.xml: ',
    );
    expect((await failure(discoverEwsUrl('no-at-sign', opts(m.urlFor)))).code).toBe('AutodiscoverFailed'); // prettier-ignore
  });
});
