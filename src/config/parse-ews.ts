/** Validation of `delivery.ews`: the server, how to authenticate, and request settings. */
import type { AuthConfig, Config } from './config-types.js';
import { AUTH_KEYS, KEY_TREE } from './key-tree.js';
import {
  boolean,
  isPlainObject,
  child,
  refuseUrlCredentials,
  duration,
  oneOf,
  required,
  section,
  show,
  text,
  type Problems,
} from './validators.js';

type EwsConfig = Config['delivery']['ews'];

const EWS_KEYS = Object.keys(KEY_TREE.delivery.ews);
const AUTH_TYPES = Object.keys(AUTH_KEYS) as (keyof typeof AUTH_KEYS)[];
const ALL_AUTH_KEYS = Object.keys(KEY_TREE.delivery.ews.auth);
const VERSIONS = ['Exchange2013', 'Exchange2013_SP1', 'Exchange2016'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const URL_EXAMPLE = '"https://mail.contoso.com/EWS/Exchange.asmx" (or "autodiscover")';

/** Unused under the sandbox transport, which talks to its own loopback server without a secret. */
const SANDBOX_AUTH: AuthConfig = { type: 'oauth' };

/** Secrets typed straight into the config get an explanation rather than "unknown key". */
const secretKeyAdvice = (name: string): string | undefined => {
  const lower = name.toLowerCase();
  if (lower === 'password' || lower === 'pass' || lower === 'pwd') {
    return 'passwords are never read from the config file; put the password in an environment variable and name that variable in "passwordEnv" (e.g. "passwordEnv": "IMSPOOLER_EWS_PASSWORD")';
  }
  if (lower === 'token' || lower === 'accesstoken' || lower === 'bearer') {
    return 'tokens are never read from the config file; name an environment variable in "tokenEnv", or a command that prints the token in "tokenCommand"';
  }
  return undefined;
};

/** `delivery.ews`; `url` and `auth` are required only when the transport uses EWS (`ews`, `auto`). */
export function parseEws(
  p: Problems,
  key: string,
  value: unknown,
  /** The transport delivers through EWS (`ews`, or `auto` for mailboxes on premises). */
  usesEws: boolean,
): EwsConfig {
  const raw = section(p, key, value, EWS_KEYS);
  const neededWhy = usesEws && 'when delivery.transport is "ews" or "auto"';
  const autodiscoverEmail = parseAutodiscoverEmail(p, child(key, 'autodiscoverEmail'), raw.autodiscoverEmail); // prettier-ignore
  return {
    url: parseUrl(p, child(key, 'url'), raw.url, neededWhy),
    ...(autodiscoverEmail ? { autodiscoverEmail } : {}),
    auth: parseAuth(p, child(key, 'auth'), raw.auth, neededWhy),
    timeout: duration(p, child(key, 'timeout'), raw.timeout, 30_000, { min: 100, max: 600_000 }),
    version: oneOf(p, child(key, 'version'), raw.version, 'Exchange2013', VERSIONS),
    rejectUnauthorized: boolean(p, child(key, 'rejectUnauthorized'), raw.rejectUnauthorized, true),
  };
}

/** `delivery.ews.url` value that asks Autodiscover for the endpoint. */
export const AUTODISCOVER = 'autodiscover';

function parseAutodiscoverEmail(p: Problems, key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const address = text(p, key, value, 'an e-mail address such as "alice@contoso.com"');
  if (address === undefined) return undefined;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
    p.bad(key, value, 'an e-mail address such as "alice@contoso.com"');
    return undefined;
  }
  return address;
}

/** `neededWhy`: why the key is required here, or false when it may be left out. */
function parseUrl(p: Problems, key: string, value: unknown, neededWhy: string | false): string {
  if (value === undefined) {
    if (neededWhy) required(p, key, neededWhy, `the EWS endpoint, such as ${URL_EXAMPLE}`);
    return '';
  }
  const given = text(p, key, value, `an http:// or https:// URL such as ${URL_EXAMPLE}`);
  if (given === undefined) return '';
  if (given === AUTODISCOVER) return given;
  // Checked before parsing: a malformed URL is the one the message below would repeat.
  const where = 'the account goes in delivery.ews.auth, the secret in the variable its passwordEnv or tokenEnv names'; // prettier-ignore
  if (refuseUrlCredentials(p, key, given, where)) return '';
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    p.bad(key, value, `an http:// or https:// URL such as ${URL_EXAMPLE}`);
    return '';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    p.bad(key, value, `an http:// or https:// URL such as ${URL_EXAMPLE}`);
    return '';
  }
  return url.href;
}

function parseAuth(
  p: Problems,
  key: string,
  value: unknown,
  neededWhy: string | false,
): AuthConfig {
  if (value === undefined) {
    if (neededWhy) {
      required(
        p,
        key,
        neededWhy,
        `an object with "type": one of ${AUTH_TYPES.map((t) => `"${t}"`).join(', ')}`,
      );
    }
    return SANDBOX_AUTH;
  }
  const raw = section(p, key, value, ALL_AUTH_KEYS, secretKeyAdvice);
  if (raw.type === undefined) {
    if (isPlainObject(value)) {
      required(
        p,
        child(key, 'type'),
        'in delivery.ews.auth',
        `one of ${AUTH_TYPES.map((t) => `"${t}"`).join(', ')}`,
      );
    }
    return SANDBOX_AUTH;
  }
  const type = oneOf(p, child(key, 'type'), raw.type, 'basic', AUTH_TYPES);
  if (type !== raw.type) return SANDBOX_AUTH;
  const allowed: readonly string[] = AUTH_KEYS[type];
  for (const name of ALL_AUTH_KEYS) {
    if (raw[name] !== undefined && !allowed.includes(name)) {
      p.add(
        child(key, name),
        `is not used with auth.type "${type}"; allowed with it: ${allowed.join(', ')}`,
      );
    }
  }
  if (type === 'oauth') return parseOauth(p, key, raw);
  const username = text(p, child(key, 'username'), raw.username);
  if (raw.username === undefined)
    required(
      p,
      child(key, 'username'),
      `with auth.type "${type}"`,
      'the account name, such as "CONTOSO\\\\alice" or "alice@contoso.com"',
    );
  const passwordEnv = envName(
    p,
    child(key, 'passwordEnv'),
    raw.passwordEnv,
    `with auth.type "${type}"`,
    'IMSPOOLER_EWS_PASSWORD',
  );
  if (type === 'basic') return { type, username: username ?? '', passwordEnv: passwordEnv ?? '' };
  const domain = text(p, child(key, 'domain'), raw.domain);
  return {
    type,
    username: username ?? '',
    passwordEnv: passwordEnv ?? '',
    ...(domain ? { domain } : {}),
  };
}

function parseOauth(p: Problems, key: string, raw: Record<string, unknown>): AuthConfig {
  const tokenEnv =
    raw.tokenEnv === undefined
      ? undefined
      : envName(p, child(key, 'tokenEnv'), raw.tokenEnv, '', 'IMSPOOLER_EWS_TOKEN');
  const tokenCommand = text(
    p,
    child(key, 'tokenCommand'),
    raw.tokenCommand,
    'a command line that prints the token, such as "az account get-access-token --query accessToken -o tsv"',
  );
  if (raw.tokenEnv === undefined && raw.tokenCommand === undefined) {
    p.add(
      key,
      'auth.type "oauth" needs "tokenEnv" (an environment variable holding the token) or "tokenCommand" (a command that prints it)',
    );
  } else if (raw.tokenEnv !== undefined && raw.tokenCommand !== undefined) {
    p.add(key, 'set either "tokenEnv" or "tokenCommand", not both');
  }
  return {
    type: 'oauth',
    ...(tokenEnv ? { tokenEnv } : {}),
    ...(tokenCommand ? { tokenCommand } : {}),
  };
}

/**
 * The name of an environment variable. A value that is not a valid name is not repeated in the
 * message: it may well be the secret itself, typed in by mistake.
 */
function envName(
  p: Problems,
  key: string,
  value: unknown,
  why: string,
  example: string,
): string | undefined {
  if (value === undefined) {
    if (why)
      required(
        p,
        key,
        why,
        `the name of an environment variable that holds the secret, such as "${example}"`,
      );
    return undefined;
  }
  if (typeof value === 'string' && ENV_NAME.test(value)) return value;
  const shown = typeof value === 'string' ? 'the value given' : show(value);
  p.add(
    key,
    `${shown} is not allowed; expected the NAME of an environment variable (letters, digits and _, not starting with a digit), such as "${example}"; the secret itself goes in that variable, never in the config`,
  );
  return undefined;
}
