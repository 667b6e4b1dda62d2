import { afterEach, describe, expect, it } from 'vitest';
import { makeEwsTransport } from '../../src/delivery/ews-transport.js';
import {
  kindForEwsUrl,
  makeRouter,
  makeRoutingTransport,
  routeByDomain,
  type RouteDecision,
  type TransportKind,
} from '../../src/delivery/route.js';
import { makeAppTokenSource } from '../../src/graph/graph-auth.js';
import { makeGraphTransport } from '../../src/graph/graph-transport.js';
import { CLIENT_ID, graphWorld, request, type GraphWorld } from './graph-world.js';

let world: GraphWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const DOMAINS = { 'contoso.com': 'ews', 'fabrikam.onmicrosoft.com': 'graph' } as const;

describe('routing rules (pure)', () => {
  it('maps a sender by its domain or a parent domain, longest match first', () => {
    const d = { 'contoso.com': 'ews', 'cloud.contoso.com': 'graph' } as const;
    expect(routeByDomain('a@contoso.com', d)).toEqual({ kind: 'ews', domain: 'contoso.com' });
    expect(routeByDomain('a@EU.Cloud.Contoso.com', d)).toEqual({ kind: 'graph', domain: 'cloud.contoso.com' }); // prettier-ignore
    expect(routeByDomain('a@notcontoso.com', d)).toBeUndefined();
  });

  it('reads an Autodiscover EWS URL as Exchange Online (graph) or on premises (ews)', () => {
    expect(kindForEwsUrl('https://outlook.office365.com/EWS/Exchange.asmx')).toBe('graph');
    expect(kindForEwsUrl('https://mail.contoso.com/EWS/Exchange.asmx')).toBe('ews');
    expect(kindForEwsUrl('not a url')).toBe('ews');
  });

  it('asks Autodiscover first, falls back to the map then the default, and says why', async () => {
    const answers: Record<string, TransportKind | Error | undefined> = {
      'moved@contoso.com': 'graph',
      'broken@contoso.com': new Error('HTTP 503'),
    };
    let asked = 0;
    const router = makeRouter({
      domains: DOMAINS,
      fallback: 'ews',
      discover: async (s) => {
        asked += 1;
        const a = answers[s];
        if (a instanceof Error) throw a;
        return a;
      },
    });
    expect(await router.decide('moved@contoso.com')).toEqual({ kind: 'graph', why: 'Autodiscover places the mailbox in Exchange Online' }); // prettier-ignore
    expect(await router.decide('stay@contoso.com')).toEqual({ kind: 'ews', why: 'Autodiscover had no answer; delivery.routing.domains maps contoso.com' }); // prettier-ignore
    expect((await router.decide('broken@contoso.com')).why).toMatch(/^Autodiscover failed \(HTTP 503\); delivery.routing.domains maps contoso.com$/); // prettier-ignore
    expect(await router.decide('x@elsewhere.org')).toEqual({ kind: 'ews', why: 'Autodiscover had no answer; no domain entry: delivery.routing.default' }); // prettier-ignore
    await router.decide('MOVED@contoso.com');
    expect(asked).toBe(4); // decisions are cached per mailbox
    expect(router.describe()).toBe('Autodiscover first (per mailbox); domains: contoso.com -> ews, fabrikam.onmicrosoft.com -> graph; default -> ews'); // prettier-ignore
  });

  it('expires cached decisions after the TTL', async () => {
    let t = 0;
    let kind: TransportKind = 'ews';
    const router = makeRouter({ domains: {}, fallback: 'ews', discover: async () => kind, ttlMs: 1000, clock: { now: () => t } }); // prettier-ignore
    expect((await router.decide('a@b.com')).kind).toBe('ews');
    kind = 'graph';
    t = 999;
    expect((await router.decide('a@b.com')).kind).toBe('ews');
    t = 1000;
    expect((await router.decide('a@b.com')).kind).toBe('graph');
  });
});

describe('delivery.transport "auto" over real HTTP (EWS and Graph on one sandbox)', () => {
  async function auto(discover?: (s: string) => Promise<TransportKind | undefined>) {
    world = await graphWorld({ clientSecret: 's3cret-value' });
    const w = world;
    const ews = makeEwsTransport({
      url: w.sandbox.url,
      version: 'Exchange2013',
      timeoutMs: 3000,
      credentials: { kind: 'basic', username: 'svc', password: 'pw' },
      rejectUnauthorized: true,
    });
    const tokens = makeAppTokenSource({ authority: w.authority, clientId: CLIENT_ID, credential: { kind: 'secret', secret: 's3cret-value' }, scope: 'https://graph.microsoft.com/.default', timeoutMs: 5000 }); // prettier-ignore
    const graph = makeGraphTransport({ url: w.graphUrl, tokens, mailbox: { kind: 'sender' }, timeoutMs: 3000 }); // prettier-ignore
    const decisions: Array<[string, RouteDecision]> = [];
    const t = makeRoutingTransport({
      router: makeRouter({ domains: DOMAINS, fallback: 'ews', ...(discover ? { discover } : {}) }),
      // The EWS sandbox has no GetFolder, which the EWS probe uses: that one answer is stubbed.
      transports: { ews: { ...ews, findSent: (h, s) => ews.findSent(h, s), probe: async () => 'EWS reachable' }, graph }, // prettier-ignore
      onDecision: (s, d) => decisions.push([s, d]),
    });
    return { w, t, decisions };
  }

  it('sends each sender through the transport its domain maps to, and logs why once', async () => {
    const { w, t, decisions } = await auto();
    await t.send(request({ from: 'alice@contoso.com', headerValue: 'a/org' }));
    await t.send(request({ from: 'fred@fabrikam.onmicrosoft.com', headerValue: 'f/org' }));
    await t.send(request({ from: 'alice@contoso.com', headerValue: 'a2/org' }));
    expect(w.sandbox.stats.createItem).toBe(2);
    expect(w.sandbox.graph!.stats.sendMail).toBe(1);
    expect(decisions).toEqual([
      ['alice@contoso.com', { kind: 'ews', why: 'delivery.routing.domains maps contoso.com' }],
      ['fred@fabrikam.onmicrosoft.com', { kind: 'graph', why: 'delivery.routing.domains maps fabrikam.onmicrosoft.com' }], // prettier-ignore
    ]);
    const mails = await w.delivered();
    expect(
      mails.map((m) => [m.headers.get('x-imspooler-item-id'), m.headers.get('x-item-class')]),
    ).toEqual([
      // prettier-ignore
      ['a/org', 'IPM.Note.Microsoft.Missed'],
      ['f/org', 'IPM.Note.Microsoft.Missed'],
      ['a2/org', 'IPM.Note.Microsoft.Missed'],
    ]);
    // Look-ups go to the sender's transport; without a sender both are asked.
    expect(await t.findSent('f/org', undefined, 'fred@fabrikam.onmicrosoft.com')).toBe(true);
    expect(await t.findSent('a/org', undefined, 'alice@contoso.com')).toBe(true);
    expect(await t.findSent('a/org')).toBe(true);
    expect(await t.findSent('nope/org')).toBe(false);
    const probe = await t.probe();
    expect(probe).toMatch(/^routing: Autodiscover off; domains: contoso.com -> ews, fabrikam.onmicrosoft.com -> graph; default -> ews\n {2}ews: .*\n {2}graph: .*app-only/); // prettier-ignore
    await t.close();
  });

  it('follows Autodiscover for a mailbox already moved to Exchange Online', async () => {
    const { w, t, decisions } = await auto(async (s) => (s === 'moved@contoso.com' ? 'graph' : undefined)); // prettier-ignore
    await t.send(request({ from: 'moved@contoso.com' }));
    await t.send(request({ from: 'stay@contoso.com', headerValue: 's/org' }));
    expect(w.sandbox.graph!.stats.sendMail).toBe(1);
    expect(w.sandbox.stats.createItem).toBe(1);
    expect(decisions.map(([s, d]) => `${s} ${d.kind}`)).toEqual(['moved@contoso.com graph', 'stay@contoso.com ews']); // prettier-ignore
    await t.close();
  });
});
