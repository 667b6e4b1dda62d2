/**
 * `delivery.transport: "auto"`: each sender's mailbox goes through EWS or Graph. The answer comes
 * from Autodiscover when it is on and answers (a mailbox in Exchange Online goes through Graph,
 * one on premises through EWS: a domain can be split between the two during a migration, so the
 * per-mailbox answer wins), else from the explicit per-domain map, else from the default. Every
 * decision carries its reason, for the logs and `check-config --probe`.
 */
import type { Clock } from '../clock.js';
import { DeliveryError, isDeliveryError } from '../errors/errors.js';
import type { SendRequest, Transport } from './transport.js';

export type TransportKind = 'ews' | 'graph';

/** Which transport a sender's mailbox uses, and why (one short phrase). */
export interface RouteDecision {
  kind: TransportKind;
  why: string;
}

/** Asks Autodiscover where a mailbox lives; undefined when it has no answer. */
export type Discover = (sender: string, signal?: AbortSignal) => Promise<TransportKind | undefined>;

/** Options of {@link makeRouter}. */
export interface RouterOptions {
  /** Domain (lower case; subdomains included) to transport, e.g. `{ "contoso.com": "ews" }`. */
  domains: Readonly<Record<string, TransportKind>>;
  /** For senders neither Autodiscover nor the map place. */
  fallback: TransportKind;
  discover?: Discover;
  /** How long a decision is kept before Autodiscover is asked again (default 1 hour). */
  ttlMs?: number;
  clock?: Pick<Clock, 'now'>;
}

/** The map entry for a sender: the longest matching domain wins. Pure. */
export function routeByDomain(
  sender: string,
  domains: Readonly<Record<string, TransportKind>>,
): { kind: TransportKind; domain: string } | undefined {
  const at = sender.lastIndexOf('@');
  let host = (at >= 0 ? sender.slice(at + 1) : sender).trim().toLowerCase().replace(/\.$/, '');
  while (host) {
    const kind = domains[host];
    if (kind) return { kind, domain: host };
    const dot = host.indexOf('.');
    host = dot < 0 ? '' : host.slice(dot + 1);
  }
  return undefined;
}

/**
 * Where an EWS URL from Autodiscover points: Exchange Online's hosts mean Graph, anything else
 * (an on-premises server) EWS. Pure.
 */
export function kindForEwsUrl(ewsUrl: string): TransportKind {
  let host: string;
  try {
    host = new URL(ewsUrl).hostname.toLowerCase();
  } catch {
    return 'ews';
  }
  const online = /(^|\.)(outlook\.office365\.com|outlook\.office\.com|outlook\.office365\.us|partner\.outlook\.cn|office365\.us)$/; // prettier-ignore
  return online.test(host) ? 'graph' : 'ews';
}

/** Decides per sender, caching each decision for `ttlMs`. */
export interface Router {
  decide(sender: string, signal?: AbortSignal): Promise<RouteDecision>;
  /** The rules in words, for `check-config --probe`. */
  describe(): string;
}

export function makeRouter(opts: RouterOptions): Router {
  const ttl = opts.ttlMs ?? 3_600_000;
  const now = () => opts.clock?.now() ?? Date.now();
  const cache = new Map<string, { decision: RouteDecision; until: number }>();

  async function fresh(sender: string, signal?: AbortSignal): Promise<RouteDecision> {
    let note = '';
    if (opts.discover) {
      try {
        const kind = await opts.discover(sender, signal);
        if (kind) return { kind, why: `Autodiscover places the mailbox ${kind === 'graph' ? 'in Exchange Online' : 'on premises'}` }; // prettier-ignore
        note = 'Autodiscover had no answer; ';
      } catch (e) {
        note = `Autodiscover failed (${e instanceof Error ? e.message : String(e)}); `;
      }
    }
    const mapped = routeByDomain(sender, opts.domains);
    if (mapped) return { kind: mapped.kind, why: `${note}delivery.routing.domains maps ${mapped.domain}` }; // prettier-ignore
    return { kind: opts.fallback, why: `${note}no domain entry: delivery.routing.default` };
  }

  return {
    async decide(sender, signal) {
      const key = sender.trim().toLowerCase();
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.decision;
      const decision = await fresh(key, signal);
      cache.set(key, { decision, until: now() + ttl });
      return decision;
    },
    describe() {
      const entries = Object.entries(opts.domains).map(([d, k]) => `${d} -> ${k}`);
      return [
        opts.discover ? 'Autodiscover first (per mailbox)' : 'Autodiscover off',
        entries.length ? `domains: ${entries.join(', ')}` : 'no domain entries',
        `default -> ${opts.fallback}`,
      ].join('; ');
    },
  };
}

/** Options of {@link makeRoutingTransport}. */
export interface RoutingTransportOptions {
  router: Router;
  transports: Readonly<Record<TransportKind, Transport>>;
  /** Told each time a sender's transport is decided anew (for the log). */
  onDecision?: (sender: string, decision: RouteDecision) => void;
}

/**
 * One transport in front of EWS and Graph: each send goes where the router says. A look-up
 * with the sender asks that transport; without it (an old caller), it asks both, EWS first.
 */
export function makeRoutingTransport(opts: RoutingTransportOptions): Transport {
  const last = new Map<string, TransportKind>();
  const pick = async (sender: string, signal?: AbortSignal): Promise<Transport> => {
    const d = await opts.router.decide(sender, signal);
    const key = sender.toLowerCase();
    if (last.get(key) !== d.kind) {
      last.set(key, d.kind);
      opts.onDecision?.(sender, d);
    }
    return opts.transports[d.kind];
  };
  const guard = <T>(p: Promise<T>): Promise<T> =>
    p.catch((e: unknown) => {
      if (isDeliveryError(e)) throw e;
      throw new DeliveryError('RoutingFailed', `could not choose a transport: ${e instanceof Error ? e.message : String(e)}`); // prettier-ignore
    });
  return {
    name: 'auto',
    async send(req: SendRequest, signal?: AbortSignal) {
      const t = await guard(pick(req.from, signal));
      await t.send(req, signal);
    },
    async findSent(headerValue: string, signal?: AbortSignal, sender?: string) {
      if (sender) return (await guard(pick(sender, signal))).findSent(headerValue, signal, sender);
      for (const kind of ['ews', 'graph'] as const) {
        try {
          if (await opts.transports[kind].findSent(headerValue, signal)) return true;
        } catch (e) {
          // Graph without a sender has no mailbox to search; EWS's answer then stands alone.
          if (!(isDeliveryError(e) && e.code === 'MailboxUnknown')) throw e;
        }
      }
      return false;
    },
    async probe(signal) {
      const lines = [`routing: ${opts.router.describe()}`];
      for (const kind of ['ews', 'graph'] as const) {
        lines.push(`${kind}: ${await opts.transports[kind].probe(signal)}`);
      }
      return lines.join('\n  ');
    },
    async close() {
      await Promise.all([opts.transports.ews.close(), opts.transports.graph.close()]);
    },
  };
}
