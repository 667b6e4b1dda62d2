/**
 * Credentials inside URLs: `https://user:password@host/…` and query parameters such as
 * `?password=…`, `access_token=…`, `client_secret=…`, `sig=…`. A URL in the config must not carry
 * one (the secret would sit in a file and in every message that repeats the URL), and no message
 * may repeat one. Pure string work, so it also covers text that is not a valid URL: a malformed
 * URL is exactly the one an error message would otherwise echo.
 */

/** Words that mark a query parameter as a credential, anywhere in its name (case-insensitive). */
const SECRET_WORDS = /pass|pwd|secret|token|sig|key|auth|cred|session|code/i;

/** A query parameter: its separator, name, `=`, and value (up to the next parameter or fragment). */
const QUERY_PARAM = /([?&;])([^=&;#\s"'<>?]+)=([^&;#\s"'<>]*)/g;

/** `scheme://userinfo@` within one URL-like token (up to its last `@`: passwords may hold one). */
const USERINFO_IN_TOKEN = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s"'<>]*@/gi;

/** The same, limited to the authority part (for free text, where a path may hold `alice@…`). */
const USERINFO_IN_AUTHORITY = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi;

/** What credentials a URL-like value carries, as words for a message; empty when none. */
export function urlCredentials(value: string): string[] {
  const found: string[] = [];
  if (new RegExp(USERINFO_IN_TOKEN.source, 'i').test(value)) found.push('a user name or password');
  for (const [, , name] of value.matchAll(QUERY_PARAM)) {
    if (name !== undefined && SECRET_WORDS.test(name)) found.push(`the query parameter "${name}"`);
  }
  return found;
}

/**
 * `text` with the user name, password and credential-like query values of every URL in it
 * replaced by `***`. `scope: 'value'` (a config value: one token) hides everything up to the
 * token's last `@`, so that even a malformed URL keeps nothing back; `'text'` (a log line) hides
 * only the authority's user information, so `…/users/alice@contoso.com/…` stays readable.
 */
export function redactUrlCredentials(text: string, scope: 'value' | 'text' = 'value'): string {
  const userinfo = scope === 'value' ? USERINFO_IN_TOKEN : USERINFO_IN_AUTHORITY;
  if (!text.includes('://') && !/[?&;]/.test(text)) return text;
  return text
    .replace(userinfo, '$1***@')
    .replace(QUERY_PARAM, (whole, sep: string, name: string) =>
      SECRET_WORDS.test(name) ? `${sep}${name}=***` : whole,
    );
}

/**
 * Scheme, host and port of a URL, for a message or a log line: never its user info, path or query
 * (any of which could carry a credential). `fallback` names the server when `url` is not a URL.
 */
export function safeHost(url: string, fallback: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return fallback;
  }
}
