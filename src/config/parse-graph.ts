/**
 * Validation of `delivery.graph` (Microsoft Graph: app registration, sign-in, mailbox) and
 * `delivery.routing` (which senders `delivery.transport: "auto"` sends through which transport).
 */
import { join } from 'node:path';
import type { GraphConfig, RoutingConfig } from './config-types.js';
import {
  boolean,
  child,
  duration,
  isPlainObject,
  oneOf,
  path,
  refuseUrlCredentials,
  required,
  section,
  text,
  type Problems,
} from './validators.js';

const GRAPH_KEYS = ['url', 'authority', 'tenant', 'clientId', 'auth', 'mailbox', 'timeout'];
const AUTH_KEYS = {
  app: ['type', 'clientSecretEnv', 'certificateFile', 'certificateThumbprint'],
  deviceCode: ['type', 'cacheFile'],
} as const;
const ALL_AUTH_KEYS = [...new Set(Object.values(AUTH_KEYS).flat())];
const ROUTING_KEYS = ['domains', 'default', 'autodiscover'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
const KINDS = ['ews', 'graph'] as const;

/** `delivery.graph`; tenant, clientId and auth are required only when Graph may be used. */
export function parseGraph(
  p: Problems,
  value: unknown,
  needed: boolean,
  baseDir: string,
  stateDir: string,
): GraphConfig {
  const key = 'delivery.graph';
  const raw = section(p, key, value, GRAPH_KEYS, secretAdvice);
  const why = 'when delivery.transport is "graph" or "auto"';
  const tenant = text(p, child(key, 'tenant'), raw.tenant, 'the directory (tenant) ID or a domain such as "contoso.onmicrosoft.com"'); // prettier-ignore
  if (needed && raw.tenant === undefined) required(p, child(key, 'tenant'), why, 'the directory (tenant) ID or a domain such as "contoso.onmicrosoft.com"'); // prettier-ignore
  const clientId = text(p, child(key, 'clientId'), raw.clientId);
  if (needed && raw.clientId === undefined) required(p, child(key, 'clientId'), why, 'the application (client) ID of the app registration'); // prettier-ignore
  if (clientId !== undefined && !GUID.test(clientId)) {
    p.bad(child(key, 'clientId'), clientId, 'the application (client) ID, a GUID such as "11111111-2222-3333-4444-555555555555"'); // prettier-ignore
  }
  const auth = parseAuth(p, child(key, 'auth'), raw.auth, needed, baseDir, stateDir);
  const mailbox = text(p, child(key, 'mailbox'), raw.mailbox, '"sender", "me" or a mailbox address') ?? (auth.type === 'deviceCode' ? 'me' : 'sender'); // prettier-ignore
  if (!['sender', 'me'].includes(mailbox) && !/^[^\s@]+@[^\s@]+$/.test(mailbox)) {
    p.bad(child(key, 'mailbox'), mailbox, '"sender" (each sender\'s own mailbox), "me" (the signed-in user) or a mailbox address'); // prettier-ignore
  }
  if (mailbox === 'me' && auth.type === 'app') {
    p.add(child(key, 'mailbox'), '"me" needs a signed-in user (auth.type "deviceCode"); an app-only sign-in has no mailbox of its own'); // prettier-ignore
  }
  return {
    url: httpUrl(p, child(key, 'url'), raw.url, 'https://graph.microsoft.com/v1.0'),
    authority: httpUrl(p, child(key, 'authority'), raw.authority, 'https://login.microsoftonline.com'), // prettier-ignore
    tenant: tenant ?? '',
    clientId: clientId ?? '',
    auth,
    mailbox,
    timeout: duration(p, child(key, 'timeout'), raw.timeout, 30_000, { min: 100, max: 600_000 }),
  };
}

function parseAuth(
  p: Problems,
  key: string,
  value: unknown,
  needed: boolean,
  baseDir: string,
  stateDir: string,
): GraphConfig['auth'] {
  const defaultCache = join(stateDir, 'graph', 'token-cache.enc');
  if (value === undefined) {
    if (needed) required(p, key, 'when delivery.transport is "graph" or "auto"', 'an object with "type": "app" or "deviceCode"'); // prettier-ignore
    return { type: 'deviceCode', cacheFile: defaultCache };
  }
  const raw = section(p, key, value, ALL_AUTH_KEYS, secretAdvice);
  if (!isPlainObject(value)) return { type: 'deviceCode', cacheFile: defaultCache };
  if (raw.type === undefined) required(p, child(key, 'type'), 'in delivery.graph.auth', '"app" or "deviceCode"'); // prettier-ignore
  const type = oneOf(p, child(key, 'type'), raw.type, 'app', ['app', 'deviceCode'] as const);
  // Without a valid type the other keys can't be judged: checking them against a guessed type
  // would add problems that go away once the type is set.
  if (raw.type !== type) return { type: 'deviceCode', cacheFile: defaultCache };
  for (const name of ALL_AUTH_KEYS) {
    if (raw[name] !== undefined && !(AUTH_KEYS[type] as readonly string[]).includes(name)) {
      p.add(child(key, name), `is not used with auth.type "${type}"; allowed with it: ${AUTH_KEYS[type].join(', ')}`); // prettier-ignore
    }
  }
  if (type === 'deviceCode') {
    return { type, cacheFile: path(p, child(key, 'cacheFile'), raw.cacheFile, defaultCache, baseDir) }; // prettier-ignore
  }
  const secretEnv = raw.clientSecretEnv;
  if (secretEnv !== undefined && (typeof secretEnv !== 'string' || !ENV_NAME.test(secretEnv))) {
    p.add(child(key, 'clientSecretEnv'), 'expected the NAME of an environment variable, such as "IMSPOOLER_GRAPH_SECRET"; the secret itself goes in that variable, never in the config'); // prettier-ignore
  }
  const certFile = raw.certificateFile === undefined ? undefined : path(p, child(key, 'certificateFile'), raw.certificateFile, '', baseDir); // prettier-ignore
  const thumb = text(p, child(key, 'certificateThumbprint'), raw.certificateThumbprint);
  if (thumb !== undefined && !/^([0-9a-f]{2}:?){32}$/i.test(thumb.replace(/\s/g, ''))) {
    p.bad(child(key, 'certificateThumbprint'), thumb, 'the certificate\'s SHA-256 thumbprint (64 hex digits)'); // prettier-ignore
  }
  if ((secretEnv === undefined) === (certFile === undefined)) {
    p.add(key, 'auth.type "app" needs exactly one of "clientSecretEnv" (an environment variable holding the client secret) or "certificateFile" (a PEM file with the private key and certificate)'); // prettier-ignore
  }
  return {
    type: 'app',
    ...(typeof secretEnv === 'string' && ENV_NAME.test(secretEnv) ? { clientSecretEnv: secretEnv } : {}), // prettier-ignore
    ...(certFile ? { certificateFile: certFile } : {}),
    ...(thumb ? { certificateThumbprint: thumb } : {}),
  };
}

/** `delivery.routing`. */
export function parseRouting(p: Problems, value: unknown): RoutingConfig {
  const key = 'delivery.routing';
  const raw = section(p, key, value, ROUTING_KEYS);
  const domains: Record<string, 'ews' | 'graph'> = {};
  if (raw.domains !== undefined && !isPlainObject(raw.domains)) {
    p.bad(child(key, 'domains'), raw.domains, 'an object mapping domains to "ews" or "graph", such as {"contoso.com": "ews"}'); // prettier-ignore
  } else if (raw.domains) {
    for (const [domain, kind] of Object.entries(raw.domains)) {
      const name = domain.trim().toLowerCase().replace(/\.$/, '');
      const entryKey = `${child(key, 'domains')}["${domain}"]`;
      if (!DOMAIN.test(name)) p.add(entryKey, 'is not a domain name such as "contoso.com"');
      else domains[name] = oneOf(p, entryKey, kind, 'ews', KINDS);
    }
  }
  return {
    domains,
    default: oneOf(p, child(key, 'default'), raw.default, 'ews', KINDS),
    autodiscover: boolean(p, child(key, 'autodiscover'), raw.autodiscover, true),
  };
}

function httpUrl(p: Problems, key: string, value: unknown, fallback: string): string {
  const given = text(p, key, value, 'an https:// URL');
  if (given === undefined) return fallback;
  const where = 'the app signs in with delivery.graph.auth, its secret in the variable clientSecretEnv names'; // prettier-ignore
  if (refuseUrlCredentials(p, key, given, where)) return fallback;
  try {
    const u = new URL(given);
    if (u.protocol === 'https:' || u.protocol === 'http:') {
      return given.replace(/\/+$/, '');
    }
  } catch {
    // reported below
  }
  p.bad(key, value, 'an https:// URL');
  return fallback;
}

function secretAdvice(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (['clientsecret', 'secret', 'password', 'token'].includes(lower)) {
    return 'secrets are never read from the config file; put the client secret in an environment variable and name it in "auth.clientSecretEnv"'; // prettier-ignore
  }
  return undefined;
}
