/**
 * Builds the Graph transport (and the `auto` routing transport) from the configuration: secrets
 * from the environment, the certificate from its PEM file, the device-code cache in the user's
 * state folder.
 */
import type { Config, GraphConfig } from '../../config/config-types.js';
import { ConfigError } from '../../errors/errors.js';
import { makeRouter, makeRoutingTransport, type Discover, type RouteDecision } from '../route.js'; // prettier-ignore
import type { OpenedTransport } from '../transport.js';
import {
  makeAppTokenSource,
  makeDeviceCodeTokenSource,
  readCertificate,
  type DeviceCodeTokenSource,
  type TokenSource,
} from '../../graph/graph-auth.js';
import { makeGraphTransport, type GraphMailbox } from '../../graph/graph-transport.js';

/** Graph's scopes are named after its host: `https://graph.microsoft.com` unless a national cloud. */
export function graphResource(url: string): string {
  const u = new URL(url);
  return u.protocol === 'https:' ? u.origin : 'https://graph.microsoft.com';
}

/** Delegated scopes a per-user sign-in asks for: send, and read to find a saved copy again. */
export const delegatedScopes = (g: GraphConfig): string[] =>
  ['Mail.Send', 'Mail.Read'].map((s) => `${graphResource(g.url)}/${s}`);

const authorityOf = (g: GraphConfig) => `${g.authority}/${encodeURIComponent(g.tenant)}`;

/** The device-code token source for this configuration (the daemon and `graph-sign-in` share it). */
export function deviceCodeSource(
  g: GraphConfig,
  onUnreadableCache?: (why: string) => void,
): DeviceCodeTokenSource {
  if (g.auth.type !== 'deviceCode') {
    throw new ConfigError([{ key: 'delivery.graph.auth.type', message: 'is not "deviceCode": nobody signs in with this configuration' }]); // prettier-ignore
  }
  return makeDeviceCodeTokenSource({
    authority: authorityOf(g),
    clientId: g.clientId,
    scopes: delegatedScopes(g),
    cacheFile: g.auth.cacheFile,
    timeoutMs: g.timeout,
    ...(onUnreadableCache ? { onUnreadableCache } : {}),
  });
}

async function tokenSource(
  g: GraphConfig,
  env: NodeJS.ProcessEnv,
): Promise<{ tokens: TokenSource; secrets: string[] }> {
  if (g.auth.type === 'deviceCode') return { tokens: deviceCodeSource(g), secrets: [] };
  const common = { authority: authorityOf(g), clientId: g.clientId, scope: `${graphResource(g.url)}/.default`, timeoutMs: g.timeout }; // prettier-ignore
  if (g.auth.clientSecretEnv) {
    const secret = env[g.auth.clientSecretEnv];
    if (!secret) {
      throw new ConfigError([{ key: 'delivery.graph.auth.clientSecretEnv', message: `the environment variable ${g.auth.clientSecretEnv} is not set or empty` }]); // prettier-ignore
    }
    return { tokens: makeAppTokenSource({ ...common, credential: { kind: 'secret', secret } }), secrets: [secret] }; // prettier-ignore
  }
  try {
    const credential = await readCertificate(g.auth.certificateFile ?? '', g.auth.certificateThumbprint); // prettier-ignore
    return { tokens: makeAppTokenSource({ ...common, credential }), secrets: [] };
  } catch (e) {
    throw new ConfigError([{ key: 'delivery.graph.auth.certificateFile', message: e instanceof Error ? e.message : String(e) }]); // prettier-ignore
  }
}

function mailboxOf(g: GraphConfig): GraphMailbox {
  if (g.mailbox === 'sender') return { kind: 'sender' };
  if (g.mailbox === 'me') return { kind: 'me' };
  return { kind: 'fixed', upn: g.mailbox };
}

/** `delivery.transport: "graph"`. */
export async function openGraphTransport(
  config: Config,
  env: NodeJS.ProcessEnv,
): Promise<OpenedTransport> {
  // prettier-ignore
  const g = config.delivery.graph;
  const { tokens, secrets } = await tokenSource(g, env);
  const transport = makeGraphTransport({ url: g.url, tokens, mailbox: mailboxOf(g), timeoutMs: g.timeout }); // prettier-ignore
  return { transport, close: () => transport.close(), secrets };
}

/**
 * `delivery.transport: "auto"`: EWS (already opened by the caller) and Graph behind the router.
 * `discover` is Autodiscover (absent when `delivery.routing.autodiscover` is false); `onDecision`
 * hears each sender's transport and why, for the log.
 */
export async function openAutoTransport(
  config: Config,
  env: NodeJS.ProcessEnv,
  ews: OpenedTransport,
  discover: Discover | undefined,
  onDecision?: (sender: string, decision: RouteDecision) => void,
): Promise<OpenedTransport> {
  const graph = await openGraphTransport(config, env);
  const { routing } = config.delivery;
  const router = makeRouter({
    domains: routing.domains,
    fallback: routing.default,
    ...(routing.autodiscover && discover ? { discover } : {}),
  });
  const transport = makeRoutingTransport({
    router,
    transports: { ews: ews.transport, graph: graph.transport },
    ...(onDecision ? { onDecision } : {}),
  });
  return {
    transport,
    close: async () => {
      await Promise.all([ews.close(), graph.close()]);
    },
    secrets: [...ews.secrets, ...graph.secrets],
  };
}
