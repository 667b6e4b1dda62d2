/**
 * Last line of defence against secrets in logs: every string that reaches a log line passes through
 * here. Known secret values are replaced wherever they appear, and anything shaped like an
 * Authorization header or a bearer token is masked even when the value is not known to us.
 */
import { redactUrlCredentials } from '../config/url-credentials.js';

const AUTH_HEADER = /(authorization\s*[:=]\s*)(basic|bearer|ntlm|negotiate)?\s*[^\s"',;]+/gi;
const BEARER = /\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;

/**
 * Text of word characters, dots, `@`, `+` and `-` only (IDs, addresses, actions, timestamps
 * without their colons): no header, bearer token or URL pattern can match it (each needs a space,
 * `:`, `=` or `?&;`), so only the known secret values are looked for. Most strings of a log line
 * are such, and the three patterns cost more than the rest of the redaction.
 */
const PLAIN = /^[\w.@+-]*$/;

export function makeRedactor(secrets: () => readonly string[]): (text: string) => string {
  return (text) => {
    let out = PLAIN.test(text)
      ? text
      : redactUrlCredentials(
          text.replace(AUTH_HEADER, '$1[REDACTED]').replace(BEARER, '$1[REDACTED]'),
          'text',
        );
    for (const secret of secrets()) {
      // Very short values would mangle ordinary words; such "secrets" are rejected by config anyway.
      if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
    }
    return out;
  };
}

/** Deeply applies `redact` to every string in a log record. */
export function redactDeep(value: unknown, redact: (s: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, redact);
    return out;
  }
  return value;
}
