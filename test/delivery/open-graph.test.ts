import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import type { Config } from '../../src/config/config-types.js';
import { openTransport } from '../../src/delivery/open/open-transport.js';
import type { RouteDecision } from '../../src/delivery/route.js';
import { graphSignInCommand } from '../../src/graph/sign-in-command.js';
import { CLIENT_ID, TENANT, graphWorld, request, type GraphWorld } from '../graph/graph-world.js';

let world: GraphWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function config(w: GraphWorld, delivery: Record<string, unknown>): Config {
  const g = w.sandbox.graph!;
  const raw = {
    stateDir: path.join(w.dir, 'state'),
    delivery: {
      ...delivery,
      graph: { url: g.graphUrl, authority: g.authorityHost, tenant: TENANT, clientId: CLIENT_ID, ...(delivery['graph'] as object) }, // prettier-ignore
    },
  };
  const r = parseConfig(raw, { baseDir: w.dir });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

describe('openTransport with delivery.transport "graph" and "auto"', () => {
  it('graph, app secret from the environment: sends, and lists the secret for redaction', async () => {
    world = await graphWorld({ clientSecret: 'env-secret-123' });
    const c = config(world, { transport: 'graph', graph: { auth: { type: 'app', clientSecretEnv: 'GRAPH_SECRET' } } }); // prettier-ignore
    await expect(openTransport(c, {})).rejects.toMatchObject({ code: 'InvalidConfig' });
    const opened = await openTransport(c, { GRAPH_SECRET: 'env-secret-123' });
    expect(opened.secrets).toEqual(['env-secret-123']);
    await opened.transport.send(request());
    expect(await opened.transport.findSent('0123abcd/org', undefined, 'alice@contoso.com')).toBe(true); // prettier-ignore
    await opened.close();
    expect(await world.delivered()).toHaveLength(1);
  });

  it('graph, device code: TokenUnavailable until graph-sign-in, then sends as the user', async () => {
    world = await graphWorld({ user: 'alice@contoso.com' });
    const c = config(world, { transport: 'graph', graph: { auth: { type: 'deviceCode' } } });
    const opened = await openTransport(c, {});
    await expect(opened.transport.send(request())).rejects.toMatchObject({ code: 'TokenUnavailable', message: expect.stringMatching(/graph-sign-in/) }); // prettier-ignore
    const lines: string[] = [];
    expect(await graphSignInCommand(c, (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toMatch(/^signed in as alice@contoso.com; tokens kept encrypted in .*token-cache.enc$/); // prettier-ignore
    await opened.transport.send(request());
    await opened.close();
    expect(world.sandbox.graph!.requests.find((r) => r.operation === 'sendMail')?.path).toBe('/v1.0/me/sendMail'); // prettier-ignore
  });

  it('auto: the domain map picks the transport per sender and the choice is reported', async () => {
    world = await graphWorld({ clientSecret: 's' });
    const c = config(world, {
      transport: 'auto',
      ews: { url: world.sandbox.url, auth: { type: 'basic', username: 'svc', passwordEnv: 'EWS_PW' } }, // prettier-ignore
      graph: { auth: { type: 'app', clientSecretEnv: 'GRAPH_SECRET' } },
      routing: { domains: { 'fabrikam.onmicrosoft.com': 'graph' }, default: 'ews', autodiscover: false }, // prettier-ignore
    });
    const seen: Array<[string, RouteDecision]> = [];
    const opened = await openTransport(c, { EWS_PW: 'pw', GRAPH_SECRET: 's' }, (s, d) => seen.push([s, d])); // prettier-ignore
    expect(opened.secrets.sort()).toEqual(['pw', 's']);
    await opened.transport.send(request({ from: 'fred@fabrikam.onmicrosoft.com' }));
    await opened.transport.send(request({ from: 'alice@contoso.com', headerValue: 'b/org' }));
    await opened.close();
    expect(world.sandbox.graph!.stats.sendMail).toBe(1);
    expect(world.sandbox.stats.createItem).toBe(1);
    expect(seen).toEqual([
      ['fred@fabrikam.onmicrosoft.com', { kind: 'graph', why: 'delivery.routing.domains maps fabrikam.onmicrosoft.com' }], // prettier-ignore
      ['alice@contoso.com', { kind: 'ews', why: 'no domain entry: delivery.routing.default' }],
    ]);
  });
});
