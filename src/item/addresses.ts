/** An address checked by {@link parseAddress}: the bare SMTP address, or why it is not one. */
export type AddressResult = { ok: true; address: string } | { ok: false; reason: string };

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_ADDRESS = 254;
// Unquoted local parts only: quoted local parts ("a b"@x) never come out of a SIP client.
const LOCAL_FORBIDDEN = /[\s\p{Cc}<>()[\]\\,;:"@]/u;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const URI_PREFIX = /^(sip|mailto):/i;

/**
 * Turns what a spool file gives as an address into a bare SMTP address: trims it, takes the part in
 * angle brackets of `Name <a@b>`, strips a `sip:` or `mailto:` prefix (any case) and any URI
 * parameters after it, then checks that the rest is a plausible `local@domain`. The case of the
 * address is kept as given.
 */
export function parseAddress(raw: string): AddressResult {
  let s = raw.trim();
  const angle = /<([^<>]*)>\s*$/.exec(s);
  if (angle) s = (angle[1] ?? '').trim();
  const prefix = URI_PREFIX.exec(s);
  if (prefix) {
    s = s.slice(prefix[0].length);
    // sip:bob@contoso.com;transport=tls and mailto:bob@contoso.com?subject=x carry URI extras.
    const cut = s.search(prefix[1]?.toLowerCase() === 'sip' ? /[;?]/ : /\?/);
    if (cut >= 0) s = s.slice(0, cut);
    s = s.trim();
  }
  return checkAddress(s);
}

/** {@link parseAddress} for callers that only need the address: `undefined` when it is not one. */
export function normaliseAddress(raw: string): string | undefined {
  const r = parseAddress(raw);
  return r.ok ? r.address : undefined;
}

function checkAddress(s: string): AddressResult {
  if (s === '') return { ok: false, reason: 'it is empty' };
  if (s.length > MAX_ADDRESS)
    return { ok: false, reason: `it is longer than ${MAX_ADDRESS} characters` };
  const at = s.lastIndexOf('@');
  if (at < 0) return { ok: false, reason: 'it has no "@"' };
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local === '') return { ok: false, reason: 'nothing comes before the "@"' };
  if (local.length > MAX_LOCAL) {
    return { ok: false, reason: `the part before the "@" is longer than ${MAX_LOCAL} characters` };
  }
  if (LOCAL_FORBIDDEN.test(local)) {
    return {
      ok: false,
      reason: 'the part before the "@" holds a space, control character or one of <>()[]\\,;:"@',
    };
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return {
      ok: false,
      reason: 'the part before the "@" starts or ends with a dot or has two dots in a row',
    };
  }
  if (domain === '') return { ok: false, reason: 'nothing comes after the "@"' };
  if (domain.length > MAX_DOMAIN) {
    return { ok: false, reason: `the domain is longer than ${MAX_DOMAIN} characters` };
  }
  const labels = domain.split('.');
  if (labels.length < 2)
    return { ok: false, reason: 'the domain has no dot (expected e.g. contoso.com)' };
  if (!labels.every((l) => DOMAIN_LABEL.test(l))) {
    return {
      ok: false,
      reason: 'the domain is not a valid host name (letters, digits, hyphens and dots)',
    };
  }
  return { ok: true, address: s };
}

/** The domain of an address, lowercased; empty when the address has no `@`. */
export function domainOf(addr: string): string {
  const at = addr.lastIndexOf('@');
  return at < 0
    ? ''
    : addr
        .slice(at + 1)
        .trim()
        .toLowerCase();
}

/**
 * Whether an address belongs to the organisation: its domain equals one of `domains` or is a
 * subdomain of one, case-insensitively. Decides the missed-conversation item class.
 */
export function isOrganization(addr: string, domains: readonly string[]): boolean {
  const d = domainOf(addr);
  if (d === '') return false;
  return domains.some((raw) => {
    const org = raw
      .trim()
      .toLowerCase()
      .replace(/^[@.]+/, '');
    return org !== '' && (d === org || d.endsWith(`.${org}`));
  });
}
