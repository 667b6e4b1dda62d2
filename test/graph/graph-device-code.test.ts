import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDeviceCodeTokenSource } from '../../src/graph/graph-auth.js';
import { makeGraphTransport } from '../../src/graph/graph-transport.js';
import { unseal } from '../../src/graph/token-cache.js';
import { CLIENT_ID, graphWorld, request, type GraphWorld } from './graph-world.js';

let world: GraphWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const SCOPES = ['https://graph.microsoft.com/Mail.Send', 'https://graph.microsoft.com/Mail.Read'];
const posix = process.platform !== 'win32';

function source(w: GraphWorld, cacheFile: string) {
  return makeDeviceCodeTokenSource({ authority: w.authority, clientId: CLIENT_ID, scopes: SCOPES, cacheFile, timeoutMs: 5000 }); // prettier-ignore
}

describe('Graph with a per-user device-code sign-in (sandbox as the token endpoint)', () => {
  it('signs in, sends as the user, and a second run reuses the encrypted cache without signing in', async () => {
    world = await graphWorld({ user: 'alice@contoso.com' });
    const w = world;
    const cacheFile = path.join(w.dir, 'state', 'graph', 'token-cache.json.enc');
    const first = source(w, cacheFile);
    expect(await first.account()).toBeUndefined();
    await expect(first.token()).rejects.toThrow(/nobody has signed in/);

    const shown: string[] = [];
    expect(await first.signIn((m) => shown.push(m))).toBe('alice@contoso.com');
    expect(shown.join('\n')).toMatch(/devicelogin.*enter the code [0-9A-F]{8}/);
    const t1 = makeGraphTransport({ url: w.graphUrl, tokens: first, mailbox: { kind: 'me' }, timeoutMs: 3000 }); // prettier-ignore
    await t1.send(request({ from: 'alice@contoso.com' }));
    await t1.close();

    // The cache file and its key are the user's only, and the file holds no readable token.
    const raw = await fsp.readFile(cacheFile, 'utf8');
    expect(raw).not.toMatch(/sandbox\.|refresh|alice/i);
    const key = await fsp.readFile(`${cacheFile}.key`);
    expect(unseal(raw, key)).toMatch(/"RefreshToken"/);
    if (posix) {
      expect((await fsp.stat(cacheFile)).mode & 0o777).toBe(0o600);
      expect((await fsp.stat(`${cacheFile}.key`)).mode & 0o777).toBe(0o600);
    }

    // A second run (a new process would be the same: nothing but the files carries over).
    const second = source(w, cacheFile);
    expect(await second.account()).toBe('alice@contoso.com');
    const t2 = makeGraphTransport({ url: w.graphUrl, tokens: second, mailbox: { kind: 'me' }, timeoutMs: 3000 }); // prettier-ignore
    await t2.send(request({ headerValue: 'second/org' }));
    expect(await t2.findSent('second/org')).toBe(true);
    expect(await t2.probe()).toMatch(
      /delegated \(device-code sign-in\).*signed-in mailbox folders "Sent Items" and "Conversation History" reachable/,
    );
    await t2.close();

    const g = w.sandbox.graph!;
    expect(g.tokens.deviceCodesIssued).toBe(1);
    expect(g.tokens.deviceCodeTokens).toBe(1);
    expect(
      g.requests.filter((r) => r.operation === 'sendMail').map((r) => [r.path, r.subject]),
    ).toEqual([
      ['/v1.0/me/sendMail', 'user:alice@contoso.com'],
      ['/v1.0/me/sendMail', 'user:alice@contoso.com'],
    ]);
    const mails = await w.delivered();
    expect(mails.map((m) => m.headers.get('x-imspooler-item-id'))).toEqual(['0123abcd/org', 'second/org']); // prettier-ignore
    expect(mails.every((m) => m.headers.get('x-item-class') === 'IPM.Note.Microsoft.Missed')).toBe(true); // prettier-ignore
  });

  it('an expired access token is renewed silently with the cached refresh token', async () => {
    world = await graphWorld({ tokenLifetimeSec: 1 });
    const cacheFile = path.join(world.dir, 'cache.enc');
    const s = source(world, cacheFile);
    await s.signIn(() => undefined);
    // MSAL treats a token within 5 minutes of expiry as expired: the next call refreshes it.
    await s.token();
    expect(world.sandbox.graph!.tokens.refreshTokens).toBeGreaterThanOrEqual(1);
    expect(world.sandbox.graph!.tokens.deviceCodesIssued).toBe(1);
  });

  it('waits for approval when the code is not approved at once, and can be cancelled', async () => {
    world = await graphWorld({ deviceCode: 'manual', pollIntervalSec: 0 });
    const s = source(world, path.join(world.dir, 'cache.enc'));
    const g = world.sandbox.graph!;
    const signedIn = s.signIn(() => setTimeout(() => g.approveDeviceCodes(), 50));
    expect(await signedIn).toBe('user@sandbox.invalid');
    const ctl = new AbortController();
    const cancelled = s.signIn(() => setTimeout(() => ctl.abort(), 20), ctl.signal);
    await expect(cancelled).rejects.toThrow(/cancel/i);
  });

  it('a cache encrypted under another key is ignored: nobody is signed in', async () => {
    world = await graphWorld();
    const cacheFile = path.join(world.dir, 'cache.enc');
    await source(world, cacheFile).signIn(() => undefined);
    await fsp.writeFile(`${cacheFile}.key`, Buffer.alloc(32, 7), { mode: 0o600 });
    const why: string[] = [];
    const again = makeDeviceCodeTokenSource({ authority: world.authority, clientId: CLIENT_ID, scopes: SCOPES, cacheFile, timeoutMs: 5000, onUnreadableCache: (m) => why.push(m) }); // prettier-ignore
    expect(await again.account()).toBeUndefined();
    expect(why.length).toBeGreaterThan(0);
  });
});
