/**
 * An MSAL network client over Node's fetch that can send an `https://` authority to a plain-http
 * test server. MSAL refuses authorities that are not https, so the sandbox is named by an https
 * URL and this client rewrites that one origin to http (saying so in `X-Forwarded-Proto`, so the
 * sandbox's metadata names https endpoints back). Production uses MSAL's own client.
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { isPlainObject } from '../platform/json-shape.js';

/** A network client that rewrites `https://<host>` to `http://<host>` for the given hosts. */
export function makeRewritingNetworkClient(
  plainHttpHosts: readonly string[],
  timeoutMs: number,
  fetchImpl: typeof fetch = fetch,
): INetworkModule {
  const hosts = new Set(plainHttpHosts.map((h) => h.toLowerCase()));
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
  ): Promise<NetworkResponse<T>> => {
    const target = new URL(url);
    const headers: Record<string, string> = { ...options?.headers };
    if (target.protocol === 'https:' && hosts.has(target.host.toLowerCase())) {
      target.protocol = 'http:';
      headers['X-Forwarded-Proto'] = 'https';
    }
    const res = await fetchImpl(target, {
      method,
      headers,
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => (out[k] = v));
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = undefined;
    }
    // MSAL reads the fields of an object (and reports what is missing); anything else is not an
    // answer it could read, so it gets one that says so instead of a crash inside MSAL.
    if (!isPlainObject(body)) {
      body = { error: 'invalid_response', error_description: `HTTP ${res.status}, not a JSON object` }; // prettier-ignore
    }
    return { headers: out, body: body as T, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/**
 * How MSAL should see an authority URL: http authorities (the sandbox) become https plus a
 * rewriting network client; https ones are used as they are.
 */
export function msalAuthority(
  authorityUrl: string,
  timeoutMs: number,
): { authority: string; knownAuthorities: string[]; networkClient?: INetworkModule } {
  const u = new URL(authorityUrl);
  const authority = `https://${u.host}${u.pathname.replace(/\/$/, '')}`;
  if (u.protocol === 'https:') {
    // A Microsoft cloud host is discovered as usual; any other host is trusted as given.
    const microsoft = /(^|\.)(microsoftonline\.(com|us)|chinacloudapi\.cn|microsoftonline\.de)$/i;
    return { authority, knownAuthorities: microsoft.test(u.hostname) ? [] : [u.host] };
  }
  return {
    authority,
    knownAuthorities: [u.host],
    networkClient: makeRewritingNetworkClient([u.host], timeoutMs),
  };
}
