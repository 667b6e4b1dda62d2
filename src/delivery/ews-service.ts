import http from 'node:http';
import https from 'node:https';
import './ews-node-compat.js';
import { XhrApi } from '@ewsjs/xhr';
import {
  ExchangeCredentials,
  ExchangeService,
  ExchangeVersion,
  OAuthCredentials,
  Uri,
  WebCredentials,
} from 'ews-javascript-api';
import './ews-node-compat.js';

/** Exchange versions the daemon may announce (`conversationhistory` needs 2013 or later). */
export type EwsVersion = 'Exchange2013' | 'Exchange2013_SP1' | 'Exchange2016';

/** How the transport authenticates. Secrets are held in memory only, never logged. */
export type EwsCredentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'ntlm'; username: string; password: string; domain?: string }
  | { kind: 'oauth'; token: () => Promise<string> };

/** What one request's `ExchangeService` is built from. */
export interface ServiceSpec {
  url: string;
  version: EwsVersion;
  timeoutMs: number;
  rejectUnauthorized: boolean;
  credentials: EwsCredentials;
  /** Keep-alive agents shared by every request of one transport, destroyed on close. */
  agents: { http: http.Agent; https: https.Agent };
}

/** What the request wrapper saw, for error mapping: was anything sent, what came back. */
export interface RequestTrace {
  dispatched: boolean;
  responseText?: string;
}

/**
 * NTLM authenticates in the XHR layer; the library would otherwise add a Basic header carrying the
 * password to every request, so this credential adds nothing.
 */
class NoHeaderCredentials extends ExchangeCredentials {
  override PrepareWebRequest(): void {}
}

/**
 * A fresh `ExchangeService` for one request. One per request because the abort signal lives in the
 * XHR layer's options; the service itself is cheap (the agents carry the connections).
 * `service.Timeout` is ignored by the library, hence the axios `timeout`.
 */
export function buildService(
  spec: ServiceSpec,
  signal: AbortSignal,
  trace: RequestTrace,
  bearerToken?: string,
): ExchangeService {
  const svc = new ExchangeService(ExchangeVersion[spec.version]);
  svc.Url = new Uri(spec.url);
  const api = new XhrApi({
    timeout: spec.timeoutMs,
    rejectUnauthorized: spec.rejectUnauthorized,
    signal,
    httpAgent: spec.agents.http,
    httpsAgent: spec.agents.https,
  });
  const c = spec.credentials;
  if (c.kind === 'ntlm') {
    const user = c.domain && !c.username.includes('\\') ? `${c.domain}\\${c.username}` : c.username;
    api.useNtlmAuthentication(user, c.password);
    svc.Credentials = new NoHeaderCredentials();
  } else if (c.kind === 'basic') {
    svc.Credentials = new WebCredentials(c.username, c.password);
  } else {
    // verbatim: Exchange accepts opaque tokens as well as JWTs, which the library's check demands.
    svc.Credentials = new OAuthCredentials((bearerToken ?? '').replace(/^Bearer\s+/i, ''), true);
  }
  svc.XHRApi = traced(api, trace);
  return svc;
}

const EMPTY_ENVELOPE =
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>';

/** What the library's debug-only re-parse of a request reads once the request is answered. */
const PARSED_INSTEAD_OF_REQUEST = '<sent/>';

/** Records that the request left, and the response text (for response codes the library drops). */
function traced(api: XhrApi, trace: RequestTrace): XhrApi {
  const xhr = api.xhr.bind(api);
  api.xhr = async (options, progress) => {
    trace.dispatched = true;
    try {
      const res = await xhr(options, progress);
      trace.responseText = res.responseText;
      // Sent and answered: the library has no further use for the body, except that on a
      // response it parses the whole request again with xmldom, only to hand the result to its
      // debug logging, which is off (SimpleServiceRequestBase.InternalExecute): a quarter of
      // the client's CPU per send, for nothing. It gets a placeholder to parse instead.
      options.data = PARSED_INSTEAD_OF_REQUEST;
      return res;
    } catch (e) {
      const text = (e as { responseText?: unknown } | null)?.responseText;
      if (typeof text === 'string') {
        trace.responseText = text;
        // The library parses an error body as SOAP and, on anything else (a proxy's HTML or text
        // error page), throws where no promise catches it: the call then never settles and the
        // process gets an unhandled rejection. An empty envelope keeps it on the normal path;
        // the HTTP status still says what happened.
        if (!/<(?:[\w-]+:)?Envelope[\s>]/.test(text)) {
          (e as { responseText: string }).responseText = EMPTY_ENVELOPE;
        }
      }
      throw e;
    }
  };
  return api;
}

/** Keep-alive agents for one transport. */
export function makeAgents(rejectUnauthorized: boolean): ServiceSpec['agents'] {
  return {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true, rejectUnauthorized }),
  };
}

/** The first EWS response code in a response other than `NoError`. */
export function responseCodeIn(text: string | undefined): string | undefined {
  if (!text) return undefined;
  for (const m of text.matchAll(/<(?:[\w-]+:)?ResponseCode(?:\s[^>]*)?>\s*([A-Za-z]\w*)\s*</g)) {
    if (m[1] !== 'NoError') return m[1];
  }
  return undefined;
}
