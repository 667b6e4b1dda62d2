import { promises as fsp } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEwsTransport, type EwsCredentials } from '../../src/delivery/ews-transport.js';
import type { SendRequest } from '../../src/delivery/transport.js';
import { isDeliveryError, type DeliveryError } from '../../src/errors/errors.js';
import { classify } from '../../src/retry/classify.js';
import {
  startSandbox,
  type SandboxAuth,
  type SandboxHandle,
} from '../../src/sandbox/sandbox-server.js';

const ntlmClient = createRequire(import.meta.url)('@ewsjs/ntlm-client') as {
  createType1Message(workstation: string, domain: string): string;
  decodeType2Message(header: string): unknown;
  createType3Message(t2: unknown, user: string, pw: string, ws: string, domain: string): string;
};

const ACCOUNT = { username: 'alice', domain: 'CONTOSO', password: 'c0rrect & "horse" <battery>' };
let sandbox: SandboxHandle | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await sandbox?.close();
  sandbox = undefined;
});

async function start(auth: SandboxAuth): Promise<{ h: SandboxHandle; dir: string; log: string[] }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'imsp-ntlm-'));
  const log: string[] = [];
  sandbox = await startSandbox({ mailboxDir: dir, auth, log: (l) => log.push(l) });
  return { h: sandbox, dir, log };
}

function transport(url: string, credentials: EwsCredentials) {
  const t = makeEwsTransport({ url, version: 'Exchange2013', timeoutMs: 5000, credentials, rejectUnauthorized: true }); // prettier-ignore
  closers.push(() => t.close());
  return t;
}

const request = (n: number): SendRequest => ({
  itemId: `ab${n}`.padEnd(16, '0'),
  group: 'org',
  itemClass: 'IPM.Note.Microsoft.Missed',
  from: 'alice@contoso.com',
  to: ['bob@contoso.com'],
  cc: [],
  subject: `hello ${n}`,
  html: '<p>hi</p>',
  headerValue: `ab${n}/org`,
});

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    if (isDeliveryError(e)) return e;
    throw e;
  }
  throw new Error('expected a DeliveryError');
}

const emls = async (dir: string) => (await fsp.readdir(dir)).filter((f) => f.endsWith('.eml'));

describe('NTLM against the sandbox over real HTTP', () => {
  it('delivers with the right password (user given as DOMAIN\\user or with a domain)', async () => {
    const { h, dir } = await start({ ntlm: ACCOUNT });
    await transport(h.url, { kind: 'ntlm', username: 'CONTOSO\\alice', password: ACCOUNT.password }).send(request(1)); // prettier-ignore
    const t = transport(h.url, { kind: 'ntlm', username: 'alice', domain: 'contoso', password: ACCOUNT.password }); // prettier-ignore
    await t.send(request(2));
    expect(await t.findSent('ab2/org')).toBe(true);
    expect(await emls(dir)).toHaveLength(2);
  });

  it('delivers concurrent requests, each handshake on its own connection', async () => {
    const { h, dir } = await start({ ntlm: ACCOUNT });
    const t = transport(h.url, { kind: 'ntlm', username: 'CONTOSO\\alice', password: ACCOUNT.password }); // prettier-ignore
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => t.send(request(n))));
    expect(await emls(dir)).toHaveLength(6);
  });

  it('a wrong password fails once, as a permanent authentication error, and sends nothing', async () => {
    const { h, dir, log } = await start({ ntlm: ACCOUNT });
    const t = transport(h.url, { kind: 'ntlm', username: 'CONTOSO\\alice', password: 'wrong' });
    const err = await failure(t.send(request(1)));
    expect(err.code).toBe('AuthenticationFailed');
    expect(err.unclear).toBe(false);
    expect(err.message).not.toContain('wrong');
    expect(classify(err).kind).toBe('permanent');
    expect(log.filter((l) => l.includes('credentials refused'))).toHaveLength(1); // no loop
    expect(h.stats.requests).toBe(0); // never reached EWS
    expect(await emls(dir)).toHaveLength(0);
    expect((await failure(t.probe())).code).toBe('AuthenticationFailed');
  });

  it('answers Basic or no credentials with a bare NTLM challenge (a bare 401 stays transient)', async () => {
    const { h } = await start({ ntlm: ACCOUNT });
    const err = await failure(
      transport(h.url, { kind: 'basic', username: 'alice', password: ACCOUNT.password }).send(
        request(1),
      ),
    );
    expect(err.code).toBe('Http401');
    expect(classify(err).kind).toBe('transient');
  });

  it('refuses a type 3 message sent on another connection than its challenge', async () => {
    const { h } = await start({ ntlm: ACCOUNT });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => agent.destroy());
    const get = (auth: string, a: http.Agent | false) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get(h.url, { agent: a, headers: { Authorization: auth } }, (res) => (res.resume(), resolve(res))).on('error', reject); // prettier-ignore
      });
    const first = await get(ntlmClient.createType1Message('WS', 'CONTOSO'), agent);
    expect(first.statusCode).toBe(401);
    const challenge = first.headers['www-authenticate'] ?? '';
    expect(challenge).toMatch(/^NTLM [A-Za-z0-9+/=]{40,}$/);
    const t2 = ntlmClient.decodeType2Message(challenge);
    const t3 = ntlmClient.createType3Message(t2, 'alice', ACCOUNT.password, 'WS', 'CONTOSO');
    const elsewhere = await get(t3, false); // a fresh connection
    expect(elsewhere.statusCode).toBe(401);
    expect(elsewhere.headers['www-authenticate']).toBe('NTLM');
    const same = await get(t3, agent); // the challenge's own connection: authenticated (GET: 405)
    expect(same.statusCode).toBe(405);
  });
});

describe('Basic and OAuth bearer against the sandbox over real HTTP', () => {
  it('Basic: right password delivers, wrong password is a transient 401', async () => {
    const { h, dir } = await start({ username: 'alice', password: 'pw' });
    await transport(h.url, { kind: 'basic', username: 'alice', password: 'pw' }).send(request(1));
    expect(await emls(dir)).toHaveLength(1);
    const err = await failure(transport(h.url, { kind: 'basic', username: 'alice', password: 'nope' }).send(request(2))); // prettier-ignore
    expect(err.code).toBe('Http401');
  });

  it('OAuth: the right bearer token delivers; a refused token is fetched afresh next time', async () => {
    const { h, dir } = await start({ token: 'tok-123' });
    const tokens = ['stale', 'tok-123'];
    let fetched = 0;
    const t = transport(h.url, { kind: 'oauth', token: async () => tokens[fetched++] ?? 'none' });
    expect((await failure(t.send(request(1)))).code).toBe('Http401');
    await t.send(request(2));
    expect(fetched).toBe(2);
    expect(await emls(dir)).toHaveLength(1);
  });
});
