import http from 'node:http';
import https from 'node:https';
import { XhrApi } from '@ewsjs/xhr';
import { DeliveryError } from '../errors/errors.js';
import {
  candidateUrls,
  domainOf,
  MAX_REDIRECTS,
  parsePoxResponse,
  poxRequest,
  type PoxAnswer,
} from './autodiscover.js';
import { sanitise } from './ews-errors.js';
import type { EwsCredentials } from './ews-service.js';

/** Options of {@link discoverEwsUrl}. */
export interface AutodiscoverOptions {
  /** The same credentials as EWS: Autodiscover endpoints demand authentication too. */
  credentials: EwsCredentials;
  /** Per request. */
  timeoutMs: number;
  rejectUnauthorized: boolean;
  /**
   * Where a URL is really fetched (default: the URL itself). Tests map every host onto a loopback
   * sandbox so that no real DNS is ever asked; the https-only rules apply to the URL before mapping.
   */
  urlFor?: (url: URL) => string;
  /** One line per step (never credentials or bodies). */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** A successful discovery. */
export interface Discovered {
  ewsUrl: string;
  /** The address that finally answered (after any `redirectAddr`). */
  address: string;
  /** The Autodiscover URL that gave the answer. */
  via: string;
}

type Outcome = { answer: PoxAnswer } | { status: number; location?: string };

/**
 * Finds the EWS URL for an address by POX Autodiscover: `https://<domain>/autodiscover/...`, then
 * `https://autodiscover.<domain>/...`, then the HTTP redirect method (an unauthenticated GET on
 * `http://autodiscover.<domain>/...` whose 302 must name an https URL). Follows `redirectAddr`
 * (start again with the new address) and `redirectUrl`/HTTP 302 (https only), at most
 * {@link MAX_REDIRECTS} times. Throws `DeliveryError('AutodiscoverFailed')` listing what was tried.
 */
export async function discoverEwsUrl(
  email: string,
  opts: AutodiscoverOptions,
): Promise<Discovered> {
  const log = opts.log ?? (() => undefined);
  const tried: string[] = [];
  // An NTLM handshake that ends in 401 means the password was checked and refused.
  let refusedAt: string | undefined;
  let address = email.trim();
  let redirects = 0;
  const redirected = (what: string): void => {
    redirects += 1;
    if (redirects > MAX_REDIRECTS) {
      throw new DeliveryError('AutodiscoverFailed', `Autodiscover for ${email}: more than ${MAX_REDIRECTS} redirects (last: ${what})`); // prettier-ignore
    }
  };
  restart: for (;;) {
    const domain = domainOf(address);
    if (!domain) {
      throw new DeliveryError('AutodiscoverFailed', `Autodiscover: "${sanitise(address)}" is not an e-mail address`); // prettier-ignore
    }
    for (const candidate of candidateUrls(domain)) {
      let url = candidate.url;
      if (candidate.kind === 'redirect') {
        const location = await redirectTarget(url, opts).catch((e: unknown) => {
          tried.push(`${url}: ${describe(e)}`);
          return undefined;
        });
        if (location === undefined) continue;
        if (!location.startsWith('https://')) {
          tried.push(`${url}: redirect to ${location || '(nothing)'} refused (not https)`);
          continue;
        }
        log(`autodiscover: ${url} redirects to ${location}`);
        url = location;
      }
      for (;;) {
        opts.signal?.throwIfAborted();
        let outcome: Outcome;
        try {
          outcome = await post(url, address, opts);
        } catch (e) {
          tried.push(`${url}: ${describe(e)}`);
          break;
        }
        if (!('answer' in outcome)) {
          const loc = outcome.location;
          if ((outcome.status === 301 || outcome.status === 302) && loc?.startsWith('https://')) {
            redirected(loc);
            url = loc;
            continue;
          }
          tried.push(`${url}: HTTP ${outcome.status}`);
          if (outcome.status === 401 && opts.credentials.kind === 'ntlm') refusedAt ??= url;
          break;
        }
        const next = outcome.answer;
        if (next.kind === 'settings') {
          log(`autodiscover: ${address} -> ${next.ewsUrl} (from ${url})`);
          return { ewsUrl: next.ewsUrl, address, via: url };
        }
        if (next.kind === 'redirectAddr') {
          redirected(next.address);
          log(`autodiscover: ${address} redirected to the address ${next.address}`);
          address = next.address;
          continue restart;
        }
        if (next.kind === 'redirectUrl') {
          if (!next.url.startsWith('https://')) {
            tried.push(`${url}: redirect to ${next.url} refused (not https)`);
            break;
          }
          redirected(next.url);
          url = next.url;
          continue;
        }
        tried.push(`${url}: error ${next.code} ${sanitise(next.message)}`.trim());
        break;
      }
    }
    if (refusedAt) {
      const text = `Autodiscover at ${refusedAt}: the server refused the NTLM credentials (check user name, domain and password)`; // prettier-ignore
      throw new DeliveryError('AuthenticationFailed', text, { httpStatus: 401 });
    }
    throw new DeliveryError(
      'AutodiscoverFailed',
      `Autodiscover found no EWS URL for ${address}; tried ${tried.join('; ')}`.slice(0, 1000),
    );
  }
}

function describe(e: unknown): string {
  const o = e as { status?: unknown; message?: unknown; code?: unknown } | null;
  if (typeof o?.status === 'number' && o.status > 0) return `HTTP ${o.status}`;
  const text = typeof o?.message === 'string' ? o.message : String(e);
  return sanitise(text) || 'failed';
}

const mapped = (url: string, opts: AutodiscoverOptions): string =>
  opts.urlFor ? opts.urlFor(new URL(url)) : url;

/** One authenticated POST; an answer, or the HTTP status (and Location) of a non-200. */
async function post(url: string, address: string, opts: AutodiscoverOptions): Promise<Outcome> {
  const api = new XhrApi({ timeout: opts.timeoutMs, rejectUnauthorized: opts.rejectUnauthorized, ...(opts.signal ? { signal: opts.signal } : {}) }); // prettier-ignore
  const headers: Record<string, string> = { 'Content-Type': 'text/xml; charset=utf-8' };
  const c = opts.credentials;
  if (c.kind === 'ntlm') {
    api.useNtlmAuthentication(c.domain && !c.username.includes('\\') ? `${c.domain}\\${c.username}` : c.username, c.password); // prettier-ignore
  } else if (c.kind === 'basic') {
    headers['Authorization'] = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`; // prettier-ignore
  } else {
    headers['Authorization'] = `Bearer ${(await c.token()).replace(/^Bearer\s+/i, '')}`;
  }
  try {
    const res = await api.xhr({ type: 'POST', url: mapped(url, opts), headers, data: poxRequest(address) }); // prettier-ignore
    return { answer: parsePoxResponse(res.responseText) };
  } catch (e) {
    const r = e as { status?: unknown; headers?: Record<string, unknown> } | null;
    if (typeof r?.status === 'number' && r.status > 0) {
      const location = r.headers?.['location'];
      return { status: r.status, ...(typeof location === 'string' ? { location } : {}) };
    }
    throw e;
  }
}

/** The Location of the HTTP redirect method's 302 (no credentials are sent: it is plain http). */
function redirectTarget(url: string, opts: AutodiscoverOptions): Promise<string | undefined> {
  const target = new URL(mapped(url, opts));
  const get = target.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(
      target,
      { timeout: opts.timeoutMs, agent: false, ...(opts.signal ? { signal: opts.signal } : {}) },
      (res) => {
        // prettier-ignore
        res.resume();
        const location = res.headers.location;
        if ((res.statusCode === 301 || res.statusCode === 302) && location) resolve(location);
        else reject(new Error(`HTTP ${res.statusCode ?? 0} without a redirect`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in time')));
    req.on('error', reject);
  });
}
