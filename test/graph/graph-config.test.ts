import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import type { ConfigProblem } from '../../src/errors/errors.js';

const baseDir = path.resolve('/etc/imspooler');
const CLIENT = '11111111-2222-3333-4444-555555555555';

function ok(raw: unknown) {
  const r = parseConfig(raw, { baseDir });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}
function problems(raw: unknown): ConfigProblem[] {
  const r = parseConfig(raw, { baseDir });
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}
const keys = (raw: unknown) => problems(raw).map((p) => p.key);

describe('delivery.graph and delivery.routing', () => {
  it('app-only with a secret: defaults for URLs, mailbox "sender", timeout', () => {
    const c = ok({ delivery: { transport: 'graph', graph: { tenant: 'contoso.onmicrosoft.com', clientId: CLIENT, auth: { type: 'app', clientSecretEnv: 'IMSPOOLER_GRAPH_SECRET' } } } }); // prettier-ignore
    expect(c.delivery.transport).toBe('graph');
    expect(c.delivery.graph).toEqual({
      url: 'https://graph.microsoft.com/v1.0',
      authority: 'https://login.microsoftonline.com',
      tenant: 'contoso.onmicrosoft.com',
      clientId: CLIENT,
      auth: { type: 'app', clientSecretEnv: 'IMSPOOLER_GRAPH_SECRET' },
      mailbox: 'sender',
      timeout: 30_000,
    });
    expect(c.delivery.routing).toEqual({ domains: {}, default: 'ews', autodiscover: true });
  });

  it('device code: the cache defaults to the state folder and the mailbox to "me"', () => {
    const c = ok({ stateDir: '/var/lib/imspooler', delivery: { transport: 'graph', graph: { tenant: 't', clientId: CLIENT, auth: { type: 'deviceCode' } } } }); // prettier-ignore
    expect(c.delivery.graph.auth).toEqual({ type: 'deviceCode', cacheFile: path.resolve('/var/lib/imspooler/graph/token-cache.enc') }); // prettier-ignore
    expect(c.delivery.graph.mailbox).toBe('me');
  });

  it('certificate: the file is resolved against the config folder', () => {
    const c = ok({ delivery: { transport: 'graph', graph: { tenant: 't', clientId: CLIENT, auth: { type: 'app', certificateFile: 'app.pem' } } } }); // prettier-ignore
    expect(c.delivery.graph.auth).toEqual({ type: 'app', certificateFile: path.join(baseDir, 'app.pem') }); // prettier-ignore
  });

  it('graph needs tenant, clientId and auth; they are not needed for ews', () => {
    expect(keys({ delivery: { transport: 'graph' } })).toEqual(['delivery.graph.tenant', 'delivery.graph.clientId', 'delivery.graph.auth']); // prettier-ignore
    expect(keys({ delivery: { transport: 'ews' } })).not.toContain('delivery.graph.tenant');
  });

  it('auto needs both the EWS and the Graph settings, and reads the routing map', () => {
    expect(keys({ delivery: { transport: 'auto' } })).toEqual(expect.arrayContaining(['delivery.ews.url', 'delivery.graph.tenant'])); // prettier-ignore
    const c = ok({
      delivery: {
        transport: 'auto',
        ews: { url: 'https://mail.contoso.com/EWS/Exchange.asmx', auth: { type: 'basic', username: 'svc', passwordEnv: 'PW' } }, // prettier-ignore
        graph: { tenant: 't', clientId: CLIENT, auth: { type: 'app', clientSecretEnv: 'S' } },
        routing: { domains: { 'Contoso.com.': 'ews', 'fabrikam.onmicrosoft.com': 'graph' }, default: 'graph', autodiscover: false }, // prettier-ignore
      },
    });
    expect(c.delivery.routing).toEqual({ domains: { 'contoso.com': 'ews', 'fabrikam.onmicrosoft.com': 'graph' }, default: 'graph', autodiscover: false }); // prettier-ignore
  });

  it('explains bad values, never repeating a secret typed into the config', () => {
    const ps = problems({
      delivery: {
        transport: 'graph',
        graph: { tenant: 't', clientId: 'not-a-guid', clientSecret: 'hunter2', mailbox: 'me', auth: { type: 'app', clientSecretEnv: 'hunter2 value', certificateFile: 'x.pem', cacheFile: 'c' } }, // prettier-ignore
        routing: { domains: { 'not a domain': 'ews', 'contoso.com': 'smtp' } },
      },
    });
    const text = JSON.stringify(ps);
    expect(text).not.toContain('hunter2');
    expect(ps.map((p) => p.key)).toEqual(expect.arrayContaining([
      'delivery.graph.clientSecret',
      'delivery.graph.clientId',
      'delivery.graph.auth.cacheFile',
      'delivery.graph.auth.clientSecretEnv',
      'delivery.graph.auth',
      'delivery.graph.mailbox',
      'delivery.routing.domains["not a domain"]',
      'delivery.routing.domains["contoso.com"]',
    ])); // prettier-ignore
    expect(ps.find((p) => p.key === 'delivery.graph.clientSecret')?.message).toMatch(/clientSecretEnv/); // prettier-ignore
  });

  it('with auth.type missing or unknown, says only that, not what a guessed type would need', () => {
    const graph = {
      tenant: 'contoso.onmicrosoft.com',
      clientId: '8a2d3c1e-0f4b-4c6d-9e7a-1b2c3d4e5f60',
    };
    for (const auth of [{ cacheFile: 'c.enc' }, { type: 'user', cacheFile: 'c.enc' }]) {
      const ps = problems({ delivery: { transport: 'graph', graph: { ...graph, auth } } });
      expect(ps.map((p) => p.key)).toEqual(['delivery.graph.auth.type']);
    }
  });
});
