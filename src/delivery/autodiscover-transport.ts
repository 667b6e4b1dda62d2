import { DeliveryError, isDeliveryError } from '../errors/errors.js';
import { domainOf } from './autodiscover.js';
import type { Discovered } from './autodiscover-client.js';
import type { AutodiscoverCache } from './autodiscover-cache.js';
import type { SendRequest, Transport } from './transport.js';

/** Options of {@link makeAutodiscoverTransport}. */
export interface AutodiscoverTransportOptions {
  /** The address to discover (`delivery.ews.autodiscoverEmail`); else the first sender. */
  email?: string;
  cache: AutodiscoverCache;
  /** Runs Autodiscover for an address (see autodiscover-client.ts). */
  discover(email: string, signal?: AbortSignal): Promise<Discovered>;
  /** The EWS transport for a discovered URL. */
  makeTransport(url: string): Transport;
  /** One line per discovery or refresh. */
  log?: (line: string) => void;
}

/**
 * Failures that suggest the server moved: forget the cached URL so the next attempt asks
 * Autodiscover again. (Auth and EWS errors say nothing about the URL.)
 */
const STALE_URL_CODES = new Set(['ConnectionRefused', 'HostNotFound', 'Http404', 'TlsError']);

/**
 * A transport whose EWS URL comes from Autodiscover (`delivery.ews.url: "autodiscover"`). The URL
 * is looked up on first use (the configured address, else the sender of the first message, else
 * the freshest cached answer), cached per domain in the state folder for the cache's TTL, and
 * looked up again when it expires or a call fails in a way that says the server is not there.
 * When Autodiscover itself fails, an expired cached URL is still tried.
 */
export function makeAutodiscoverTransport(o: AutodiscoverTransportOptions): Transport {
  const log = o.log ?? (() => undefined);
  let current: { domain: string; url: string; transport: Transport } | undefined;
  let inflight: Promise<{ domain: string; url: string; transport: Transport }> | undefined;
  let firstSender: string | undefined;

  async function lookup(signal: AbortSignal | undefined) {
    const address = o.email ?? firstSender;
    let domain = address ? domainOf(address) : undefined;
    let entry = domain ? await o.cache.get(domain) : await o.cache.latest();
    domain ??= entry?.domain;
    if (!entry && address && domain) {
      try {
        const found = await o.discover(address, signal);
        await o.cache.put({ domain, address, ewsUrl: found.ewsUrl });
        entry = await o.cache.get(domain);
        log(`autodiscover: EWS URL for ${domain} is ${found.ewsUrl}`);
      } catch (e) {
        const stale = await o.cache.get(domain, { allowStale: true });
        if (!stale) throw e;
        log(`autodiscover failed; using the expired answer for ${domain}: ${stale.ewsUrl}`);
        entry = stale;
      }
    }
    if (!entry || !domain) {
      throw new DeliveryError(
        'AutodiscoverFailed',
        'no address to run Autodiscover for yet: set delivery.ews.autodiscoverEmail',
      );
    }
    if (current?.url !== entry.ewsUrl) {
      await current?.transport.close();
      current = { domain, url: entry.ewsUrl, transport: o.makeTransport(entry.ewsUrl) };
    }
    return current;
  }

  async function resolve(signal: AbortSignal | undefined) {
    // The cache is consulted per call (cheap) so that an expired answer is refreshed.
    inflight ??= lookup(signal).finally(() => (inflight = undefined));
    return inflight;
  }

  async function withTransport<T>(
    signal: AbortSignal | undefined,
    fn: (t: Transport) => Promise<T>,
  ): Promise<T> {
    const target = await resolve(signal);
    try {
      return await fn(target.transport);
    } catch (e) {
      if (isDeliveryError(e) && STALE_URL_CODES.has(e.code)) {
        log(`autodiscover: ${e.code} from ${target.url}; asking Autodiscover again next time`);
        await o.cache.invalidate(target.domain);
      }
      throw e;
    }
  }

  return {
    name: 'ews',
    send: (req: SendRequest, signal?: AbortSignal) => {
      firstSender ??= req.from;
      return withTransport(signal, (t) => t.send(req, signal));
    },
    findSent: (headerValue: string, signal?: AbortSignal) =>
      withTransport(signal, (t) => t.findSent(headerValue, signal)),
    probe: (signal?: AbortSignal) =>
      withTransport(signal, async (t) => `${await t.probe(signal)} (EWS URL from Autodiscover)`),
    close: async () => {
      await inflight?.catch(() => undefined);
      await current?.transport.close();
      current = undefined;
    },
  };
}
