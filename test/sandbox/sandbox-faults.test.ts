import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import type { FaultConfig } from '../../src/sandbox/faults.js';
import { backOff, client, emlFiles, findByHeader, send, tempDir, thrown } from './ews-client.js';

let handle: SandboxHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

async function start(
  opts: {
    faults?: FaultConfig;
    auth?: NonNullable<Parameters<typeof startSandbox>[0]['auth']>;
  } = {},
) {
  const dir = await tempDir('sbx-faults');
  handle = await startSandbox({ mailboxDir: dir, ...opts });
  return { h: handle, dir, svc: client(handle.url) };
}

describe('sandbox faults as the EWS client sees them (DOMAIN.md)', () => {
  it('serverBusy: SoapFaultDetails 363, HTTP 500, BackOffMilliseconds as a string; count runs out', async () => {
    const { h, dir, svc } = await start({ faults: { serverBusy: { backOffMs: 1500, count: 1 } } });
    const e = await thrown(() => send(svc));
    expect(e['ResponseCode']).toBe(363);
    expect(e['HttpStatusCode']).toBe(500);
    expect(e['Message']).toBe('The server cannot service this request right now. Try again later.');
    expect(backOff(e)).toBe('1500');
    expect(await emlFiles(dir)).toHaveLength(0);
    expect(h.faults.get()).toEqual({});
    await send(svc);
    expect(await emlFiles(dir)).toHaveLength(1);
    expect(h.requests.at(0)?.response).toContain(
      '<t:Value Name="BackOffMilliseconds">1500</t:Value>',
    );
  });

  it('serverBusy without backOffMs carries no BackOffMilliseconds', async () => {
    const { svc } = await start({ faults: { serverBusy: true } });
    const e = await thrown(() => send(svc));
    expect(e['ResponseCode']).toBe(363);
    expect(backOff(e)).toBeUndefined();
  });

  it('http401 and http503: the status, no SOAP body', async () => {
    const { h, svc } = await start({ faults: { http401: { count: 1 }, http503: { count: 1 } } });
    expect((await thrown(() => send(svc)))['HttpStatusCode']).toBe(401);
    const e = await thrown(() => send(svc));
    expect(e['HttpStatusCode']).toBe(503);
    expect(e['message']).toBe('');
    expect(h.requests.map((r) => [r.status, r.response])).toEqual([
      [401, ''],
      [503, ''],
    ]);
  });

  it('dropBeforeAccept: "socket hang up", nothing delivered', async () => {
    const { dir, svc } = await start({ faults: { dropBeforeAccept: { count: 1 } } });
    const e = await thrown(() => send(svc, { header: 'd/org' }));
    expect(e['message']).toBe('socket hang up');
    expect(e['HttpStatusCode']).toBeUndefined();
    expect(await emlFiles(dir)).toHaveLength(0);
    expect((await findByHeader(svc, 'd/org')).TotalCount).toBe(0);
  });

  it('dropAfterAccept: "socket hang up", yet delivered and findable', async () => {
    const { h, dir, svc } = await start({ faults: { dropAfterAccept: { count: 1 } } });
    const e = await thrown(() => send(svc, { header: 'u/org' }));
    expect(e['message']).toBe('socket hang up');
    expect(await emlFiles(dir)).toHaveLength(1);
    expect((await findByHeader(svc, 'u/org')).TotalCount).toBe(1);
    expect(h.stats.createItem).toBe(1);
  });

  it('recipientErrors: ServiceResponseException with the code (208 ErrorInvalidRecipients), HTTP 200', async () => {
    const { h, dir, svc } = await start({
      faults: {
        recipientErrors: {
          'Ghost@Contoso.com': 'ErrorInvalidRecipients',
          'gone@contoso.com': 'ErrorNonExistentMailbox',
        },
      },
    });
    const e = await thrown(() => send(svc, { to: ['bob@contoso.com'], cc: ['ghost@contoso.com'] }));
    expect(e['ErrorCode']).toBe(208);
    expect(e['message']).toBe("At least one recipient isn't valid.");
    expect(h.requests.at(-1)?.status).toBe(200);
    expect(h.requests.at(-1)?.response).toContain('ResponseClass="Error"');
    const g = await thrown(() => send(svc, { to: ['gone@contoso.com'] }));
    expect(g['message']).toBe('The SMTP address has no mailbox associated with it.');
    await send(svc, { to: ['bob@contoso.com'] });
    expect(await emlFiles(dir)).toHaveLength(1);
  });

  it('responseCode: a generic CreateItem error, FindItem unaffected', async () => {
    const { svc } = await start({
      faults: { responseCode: { code: 'ErrorQuotaExceeded', count: 1 } },
    });
    const e = await thrown(() => send(svc));
    expect(e['ErrorCode']).toBe(338); // ErrorQuotaExceeded
    await send(svc, { header: 'q/org' });
    expect((await findByHeader(svc, 'q/org')).TotalCount).toBe(1);
  });

  it('slowMs: delivers, answers late; a client timeout aborts first', async () => {
    const { h, dir } = await start({ faults: { slowMs: { ms: 1500, count: 1 } } });
    const svc = client(h.url, { timeoutMs: 200 });
    const e = await thrown(() => send(svc, { header: 's/org' }));
    expect(String(e['message'])).toMatch(/timeout/i);
    expect(await emlFiles(dir)).toHaveLength(1);
    expect((await findByHeader(client(h.url), 's/org')).TotalCount).toBe(1);
  });

  it('`on` limits a fault to some operations', async () => {
    const { svc } = await start({ faults: { serverBusy: { on: ['FindItem'] } } });
    await send(svc);
    expect((await thrown(() => findByHeader(svc, 'x')))['ResponseCode']).toBe(363);
  });

  it('counts operations and the concurrency seen', async () => {
    const { h, svc } = await start({ faults: { slowMs: 100 } });
    await Promise.all([1, 2, 3].map((i) => send(svc, { header: `c${i}/org` })));
    expect(h.stats.createItem).toBe(3);
    expect(h.stats.maxInFlight).toBe(3);
    expect(h.stats.inFlight).toBe(0);
  });
});

describe('sandbox authentication', () => {
  it('Basic: right credentials pass, wrong ones get 401 with WWW-Authenticate and no body', async () => {
    const { h } = await start({ auth: { username: 'CONTOSO\\alice', password: 'pw' } });
    await send(client(h.url, { user: 'CONTOSO\\alice', password: 'pw' }));
    const e = await thrown(() => send(client(h.url, { user: 'CONTOSO\\alice', password: 'bad' })));
    expect(e['HttpStatusCode']).toBe(401);
    const res = await fetch(h.url, { method: 'POST', body: '<x/>' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await res.text()).toBe('');
  });

  it('Bearer token', async () => {
    const { h } = await start({ auth: { token: 'eyJ0eXAiOiJKV1QifQ.e30.c2ln' } });
    await send(client(h.url, { token: 'eyJ0eXAiOiJKV1QifQ.e30.c2ln' }));
    const e = await thrown(() => send(client(h.url, { token: 'eyJ0eXAiOiJKV1QifQ.e30.YmFk' })));
    expect(e['HttpStatusCode']).toBe(401);
    const res = await fetch(h.url, { method: 'POST', body: '<x/>' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });
});

describe('faults over HTTP (/sandbox/faults)', () => {
  it('POST sets, GET shows, DELETE clears; invalid JSON or unknown faults get 400', async () => {
    const { h, svc } = await start();
    const base = `http://127.0.0.1:${h.port}/sandbox/faults`;
    const post = await fetch(base, {
      method: 'POST',
      body: JSON.stringify({ http503: { count: 2 } }),
    });
    expect(post.status).toBe(200);
    expect(await (await fetch(base)).json()).toEqual({ http503: { count: 2 } });
    expect((await thrown(() => send(svc)))['HttpStatusCode']).toBe(503);
    expect(await (await fetch(base)).json()).toEqual({ http503: { count: 1 } });
    expect((await fetch(base, { method: 'DELETE' })).status).toBe(200);
    await send(svc);
    expect((await fetch(base, { method: 'POST', body: '{nope' })).status).toBe(400);
    const bad = await fetch(base, { method: 'POST', body: '{"teapot":true}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "faults: unknown fault 'teapot'" });
  });
});
