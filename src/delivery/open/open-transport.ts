import type { AuthConfig, Config } from '../../config/config-types.js';
import { AUTODISCOVER } from '../../config/parse-ews.js';
import { resolveSecret } from '../../config/secrets.js';
import { openAutodiscoverTransport, TEST_AUTODISCOVER_ORIGIN_ENV } from './open-autodiscover.js';
import { discoverEwsUrl } from '../autodiscover-client.js';
import { kindForEwsUrl, type RouteDecision } from '../route.js';
import { makeEwsTransport } from '../ews-transport.js';
import type { OpenedTransport } from '../transport.js';

/**
 * Opens the configured transport. `sandbox` runs the real EWS client against the embedded EWS
 * sandbox on a loopback port, so the demo exercises the same code path as production.
 */
export async function openTransport(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  /** Hears which transport `auto` picks for each sender and why (for the log). */
  onRoute?: (sender: string, decision: RouteDecision) => void,
): Promise<OpenedTransport> {
  const { ews } = config.delivery;
  // Graph (MSAL) and the sandbox server are loaded only when configured: about 10 MB of the
  // daemon's memory otherwise (docs/performance.md).
  if (config.delivery.transport === 'graph')
    return (await import('./open-graph.js')).openGraphTransport(config, env);
  if (config.delivery.transport === 'sandbox') {
    const { startSandbox } = await import('../../sandbox/sandbox-server.js');
    const sandbox = await startSandbox({ port: 0, mailboxDir: config.delivery.sandbox.mailbox });
    const transport = makeEwsTransport({
      url: sandbox.url,
      version: ews.version,
      timeoutMs: ews.timeout,
      credentials: { kind: 'basic', username: 'sandbox', password: 'sandbox' },
      rejectUnauthorized: true,
      signIn: 'user sandbox (the built-in sandbox account)',
    });
    return {
      transport: { ...transport, name: 'sandbox' },
      close: async () => {
        await transport.close();
        await sandbox.close();
      },
      secrets: [],
    };
  }
  const secret = await resolveSecret(ews.auth, env);
  const credentials =
    'token' in secret
      ? {
          kind: 'oauth' as const,
          token: async () => ((await resolveSecret(ews.auth, env)) as { token: string }).token,
        }
      : ews.auth.type === 'ntlm'
        ? {
            kind: 'ntlm' as const,
            username: secret.username,
            password: secret.password,
            ...(ews.auth.domain ? { domain: ews.auth.domain } : {}),
          }
        : { kind: 'basic' as const, username: secret.username, password: secret.password };
  const signIn = describeSignIn(ews.auth);
  const make = (url: string) => makeEwsTransport({ url, version: ews.version, timeoutMs: ews.timeout, credentials, rejectUnauthorized: ews.rejectUnauthorized, signIn }); // prettier-ignore
  const transport =
    ews.url === AUTODISCOVER
      ? openAutodiscoverTransport({
          ews,
          credentials,
          stateDir: config.stateDir,
          env,
          makeTransport: make,
        })
      : make(ews.url);
  const opened = { transport, close: () => transport.close(), secrets: 'token' in secret ? [secret.token] : [secret.password] }; // prettier-ignore
  if (config.delivery.transport !== 'auto') return opened;
  // Autodiscover's EWS URL tells where a mailbox lives: Exchange Online's hosts mean Graph.
  const origin = env[TEST_AUTODISCOVER_ORIGIN_ENV];
  const urlFor = origin ? (u: URL) => `${origin.replace(/\/$/, '')}${u.pathname}${u.search}` : undefined; // prettier-ignore
  const discover = async (sender: string, signal?: AbortSignal) =>
    kindForEwsUrl((await discoverEwsUrl(sender, { credentials, timeoutMs: ews.timeout, rejectUnauthorized: ews.rejectUnauthorized, ...(urlFor ? { urlFor } : {}), ...(signal ? { signal } : {}) })).ewsUrl); // prettier-ignore
  const { openAutoTransport } = await import('./open-graph.js');
  return openAutoTransport(config, env, opened, discover, onRoute);
}

/**
 * Pure: who signs in to EWS and where the secret comes from, for the message of a refused sign-in
 * (`user CONTOSO\alice, password from the environment variable IMSPOOLER_EWS_PASSWORD`). Names
 * the variable or command, never its value.
 */
export function describeSignIn(auth: AuthConfig): string {
  if (auth.type === 'oauth') {
    return auth.tokenEnv
      ? `the OAuth token from the environment variable ${auth.tokenEnv}`
      : 'the OAuth token from delivery.ews.auth.tokenCommand';
  }
  const user =
    auth.type === 'ntlm' && auth.domain && !auth.username.includes('\\')
      ? `${auth.domain}\\${auth.username}`
      : auth.username;
  return `user ${user}, password from the environment variable ${auth.passwordEnv}`;
}
