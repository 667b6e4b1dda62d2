import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeAutodiscoverCache } from '../../src/delivery/autodiscover-cache.js';
import { discoverEwsUrl } from '../../src/delivery/autodiscover-client.js';
import { makeAutodiscoverTransport } from '../../src/delivery/autodiscover-transport.js';
import { makeEwsTransport } from '../../src/delivery/ews-transport.js';
import type { SendRequest, Transport } from '../../src/delivery/transport.js';
import { isDeliveryError } from '../../src/errors/errors.js';
import type { SandboxAutodiscover } from '../../src/sandbox/autodiscover/autodiscover-endpoint.js';
import type { SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { closedPort, hostMap, sandbox, tempDir } from './support.js';
import { manualClock } from '../support/manual-clock.js';

const open: SandboxHandle[] = [];
const transports: Transport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
  for (const h of open.splice(0)) await h.close();
});
let nowhere = 0;
beforeAll(async () => {
  nowhere = await closedPort();
});

const req = (n: number, from = 'alice@contoso.com'): SendRequest => ({
  itemId: `cd${n}`.padEnd(16, '0'),
  group: 'org',
  itemClass: 'IPM.Note.Microsoft.Missed',
  from,
  to: ['bob@contoso.com'],
  cc: [],
  subject: `s${n}`,
  html: '<p>x</p>',
  headerValue: `cd${n}/org`,
});

async function world(answers: SandboxAutodiscover, email?: string) {
  const stateDir = await tempDir('adstate');
  const ad = await sandbox({ autodiscover: answers }, open);
  const clock = manualClock(Date.parse('2026-11-24T10:00:00Z'));
  const cache = makeAutodiscoverCache({ stateDir, clock });
  const m = hostMap({ 'contoso.com': ad.origin }, nowhere);
  let lookups = 0;
  const t = makeAutodiscoverTransport({
    ...(email ? { email } : {}),
    cache,
    discover: (address, signal) => {
      lookups += 1;
      const creds = { kind: 'basic' as const, username: 'a', password: 'b' };
      return discoverEwsUrl(address, { credentials: creds, timeoutMs: 3000, rejectUnauthorized: true, urlFor: m.urlFor, ...(signal ? { signal } : {}) }); // prettier-ignore
    },
    makeTransport: (url) => makeEwsTransport({ url, version: 'Exchange2013', timeoutMs: 3000, credentials: { kind: 'basic', username: 'a', password: 'b' }, rejectUnauthorized: true }), // prettier-ignore
  });
  transports.push(t);
  const cacheFile = path.join(stateDir, 'autodiscover.json');
  return { t, ad, clock, cacheFile, lookups: () => lookups };
}

const emls = async (dir: string) => (await fsp.readdir(dir)).filter((f) => f.endsWith('.eml'));

describe('the autodiscover transport (delivery.ews.url "autodiscover")', () => {
  it('discovers from the first sender, delivers, and caches the answer in the state folder', async () => {
    // The autodiscover host answers with its own EWS URL (the sandbox default).
    const a = await world({ mailboxes: { 'alice@contoso.com': {} } });
    await a.t.send(req(1));
    await a.t.send(req(2));
    expect(await a.t.findSent('cd2/org')).toBe(true);
    expect(a.lookups()).toBe(1);
    const cached = JSON.parse(await fsp.readFile(a.cacheFile, 'utf8')) as { entries: Record<string, { ewsUrl: string; resolvedAt: string }> }; // prettier-ignore
    expect(cached.entries['contoso.com']).toMatchObject({ ewsUrl: a.ad.url, resolvedAt: '2026-11-24T10:00:00.000Z' }); // prettier-ignore
    expect(await emls(a.ad.dir)).toHaveLength(2);
  });

  it('asks again once the cached answer is older than 24 hours', async () => {
    const a = await world({ mailboxes: { 'alice@contoso.com': {} } }, 'alice@contoso.com');
    await a.t.send(req(1));
    await a.clock.advance(23 * 3600_000);
    await a.t.send(req(2));
    expect(a.lookups()).toBe(1);
    await a.clock.advance(2 * 3600_000);
    await a.t.send(req(3));
    expect(a.lookups()).toBe(2);
  });

  it('when the server stops answering, forgets the URL and finds the new one on the next attempt', async () => {
    const moved = await sandbox({}, open);
    const answers: SandboxAutodiscover = { mailboxes: { 'alice@contoso.com': {} } };
    const a = await world(answers, 'alice@contoso.com');
    const old = await sandbox({}, open);
    answers.mailboxes!['alice@contoso.com'] = { ewsUrl: old.url };
    await a.t.send(req(1));
    await old.close();
    answers.mailboxes!['alice@contoso.com'] = { ewsUrl: moved.url };
    const err = await a.t.send(req(2)).catch((e: unknown) => e);
    expect(isDeliveryError(err) && err.code).toBe('ConnectionRefused');
    await a.t.send(req(2));
    expect(a.lookups()).toBe(2);
    expect(await emls(moved.dir)).toHaveLength(1);
  });

  it('uses an expired answer when Autodiscover fails, and fails clearly with none', async () => {
    const answers: SandboxAutodiscover = { mailboxes: { 'alice@contoso.com': {} } };
    const a = await world(answers, 'alice@contoso.com');
    await a.t.send(req(1));
    await a.clock.advance(48 * 3600_000);
    answers.mailboxes = {};
    await a.t.send(req(2));
    expect(a.lookups()).toBe(2);
    expect(await emls(a.ad.dir)).toHaveLength(2);

    const b = await world({ mailboxes: {} });
    const err = await b.t.findSent('x/org').catch((e: unknown) => e);
    expect(isDeliveryError(err) && err.code).toBe('AutodiscoverFailed');
    const err2 = await b.t.send(req(1)).catch((e: unknown) => e);
    expect(isDeliveryError(err2) && err2.message).toMatch(/found no EWS URL for alice@contoso.com/);
  });
});
