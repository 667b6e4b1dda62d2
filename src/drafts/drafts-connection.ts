import type { Config } from '../config/config-types.js';
import { AUTODISCOVER } from '../config/parse-ews.js';
import { resolveSecret } from '../config/secrets.js';
import { domainOf } from '../delivery/autodiscover.js';
import { makeAutodiscoverCache } from '../delivery/autodiscover-cache.js';
import { discoverEwsUrl } from '../delivery/autodiscover-client.js';
import { TEST_AUTODISCOVER_ORIGIN_ENV } from '../delivery/open/open-autodiscover.js';
import type { EwsCredentials } from '../delivery/ews-service.js';
import { UsageError } from '../errors/errors.js';
import type { DraftsClientOptions } from './drafts-client.js';

/** Connection settings and the secrets in them (so the logger can keep them out of every line). */
export interface DraftsConnection {
  client: DraftsClientOptions;
  secrets: string[];
}

/**
 * The mailbox `drafts` works on: the daemon's own EWS server and credentials. With
 * `delivery.ews.url: "autodiscover"` the cached answer is used, else Autodiscover is asked for
 * `delivery.ews.autodiscoverEmail`. The sandbox transport has no mailbox to look in.
 */
export async function draftsConnection(
  config: Config,
  env: NodeJS.ProcessEnv,
): Promise<DraftsConnection> {
  const { ews } = config.delivery;
  if (config.delivery.transport !== 'ews') {
    throw new UsageError('drafts works on an Exchange mailbox: set delivery.transport to "ews" (the in-process sandbox keeps no drafts)'); // prettier-ignore
  }
  const secret = await resolveSecret(ews.auth, env);
  const credentials: EwsCredentials =
    'token' in secret
      ? { kind: 'oauth', token: async () => secret.token }
      : ews.auth.type === 'ntlm'
        ? { kind: 'ntlm', username: secret.username, password: secret.password, ...(ews.auth.domain ? { domain: ews.auth.domain } : {}) } // prettier-ignore
        : { kind: 'basic', username: secret.username, password: secret.password };
  const secrets = 'token' in secret ? [secret.token] : [secret.password];
  let url = ews.url;
  if (url === AUTODISCOVER) {
    const cache = makeAutodiscoverCache({ stateDir: config.stateDir });
    const email = ews.autodiscoverEmail;
    const domain = email ? domainOf(email) : undefined;
    const cached = domain ? await cache.get(domain) : await cache.latest();
    if (cached) url = cached.ewsUrl;
    else if (email) {
      const origin = env[TEST_AUTODISCOVER_ORIGIN_ENV];
      const found = await discoverEwsUrl(email, {
        credentials,
        timeoutMs: ews.timeout,
        rejectUnauthorized: ews.rejectUnauthorized,
        ...(origin ? { urlFor: (u: URL) => `${origin.replace(/\/$/, '')}${u.pathname}` } : {}),
      });
      url = found.ewsUrl;
    } else {
      throw new UsageError('delivery.ews.url is "autodiscover" but nothing is cached yet: set delivery.ews.autodiscoverEmail'); // prettier-ignore
    }
  }
  const client = { url, version: ews.version, timeoutMs: ews.timeout, credentials, rejectUnauthorized: ews.rejectUnauthorized }; // prettier-ignore
  return { client, secrets };
}
