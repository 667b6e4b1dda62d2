/**
 * Exchange POX Autodiscover, the pure parts: which URLs to try for an address, the request body,
 * and reading the answer (settings, a redirect to another address or URL, or an error).
 * Protocol: [MS-OXDISCO] and the Exchange "Autodiscover for Exchange" guide.
 */
import { XMLParser } from 'fast-xml-parser';
import { xmlEscape } from '../text/xml-escape.js';

/** One place to ask. `redirect`: an unauthenticated GET whose 302 names the https URL to POST to. */
export interface AutodiscoverCandidate {
  kind: 'pox' | 'redirect';
  url: string;
}

/** What one Autodiscover answer says. */
export type PoxAnswer =
  | { kind: 'settings'; ewsUrl: string }
  | { kind: 'redirectAddr'; address: string }
  | { kind: 'redirectUrl'; url: string }
  | { kind: 'error'; code: string; message: string };

/** At most this many redirects (address or URL) in one discovery, as Exchange's guide advises. */
export const MAX_REDIRECTS = 10;
export const RESPONSE_SCHEMA =
  'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const REQUEST_SCHEMA =
  'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
const PATH = '/autodiscover/autodiscover.xml';

/** The domain of an SMTP address, lower-cased; undefined when it is not `local@domain`. */
export function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  const domain =
    at > 0
      ? address
          .slice(at + 1)
          .trim()
          .toLowerCase()
      : '';
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)
    ? domain
    : undefined;
}

/**
 * The candidates, in the order Exchange clients use: the domain itself, the `autodiscover.` host,
 * then the HTTP redirect method. (SCP lookup in Active Directory and DNS SRV records are not
 * used: see docs/autodiscover.md.)
 */
export function candidateUrls(domain: string): AutodiscoverCandidate[] {
  return [
    { kind: 'pox', url: `https://${domain}${PATH}` },
    { kind: 'pox', url: `https://autodiscover.${domain}${PATH}` },
    { kind: 'redirect', url: `http://autodiscover.${domain}${PATH}` },
  ];
}

/** The POX request for an address (escaped: the address comes from a spool file). */
export function poxRequest(address: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="${REQUEST_SCHEMA}"><Request>` +
    `<EMailAddress>${xmlEscape(address)}</EMailAddress>` +
    `<AcceptableResponseSchema>${RESPONSE_SCHEMA}</AcceptableResponseSchema></Request></Autodiscover>`
  );
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => name === 'Protocol',
});

type Node = Record<string, unknown>;
const obj = (v: unknown): Node | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : undefined;
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/**
 * Reads a POX answer. Throws on anything that is not an Autodiscover document (an HTML login
 * page, a proxy's error), so the caller tries the next candidate.
 */
export function parsePoxResponse(xml: string): PoxAnswer {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error('not an Autodiscover answer (DTD)');
  const root = obj(obj(parser.parse(xml) as unknown)?.['Autodiscover']);
  const response = obj(root?.['Response']);
  if (!response) throw new Error('not an Autodiscover answer');
  const error = obj(response['Error']);
  if (error) {
    return {
      kind: 'error',
      code: str(error['ErrorCode']) ?? 'unknown',
      message: str(error['Message']) ?? '',
    };
  }
  const account = obj(response['Account']);
  const action = str(account?.['Action']);
  if (action === 'redirectAddr') {
    const address = str(account?.['RedirectAddr']);
    if (address) return { kind: 'redirectAddr', address };
  } else if (action === 'redirectUrl') {
    const url = str(account?.['RedirectUrl']);
    if (url) return { kind: 'redirectUrl', url };
  } else if (action === 'settings') {
    // EXCH: the inside-the-network URL; EXPR: through the published (outside) host.
    const protocols = ((account?.['Protocol'] ?? []) as unknown[]).map(obj);
    for (const type of ['EXCH', 'EXPR']) {
      const ewsUrl = str(protocols.find((p) => str(p?.['Type']) === type)?.['EwsUrl']);
      if (ewsUrl && /^https?:\/\//i.test(ewsUrl)) return { kind: 'settings', ewsUrl };
    }
    return { kind: 'error', code: 'NoEwsUrl', message: 'the answer names no EWS URL' };
  }
  throw new Error(`Autodiscover answer with action "${action ?? '(none)'}" and nothing usable`);
}
