/**
 * The secrets the configured transport reads from the environment, checked at start although the
 * transport itself opens only when the first item is due (lazy-transport.ts): a variable that is
 * not set stops the daemon at once with a config error (exit code 2), as docs/configuration.md
 * says, instead of deferring every item until someone reads the log. A `tokenCommand` runs each
 * time a token is needed anyway, so it is not run here; nothing heavy is loaded either.
 */
import type { Config } from '../../config/config-types.js';
import { resolveSecret } from '../../config/secrets.js';
import { ConfigError } from '../../errors/errors.js';

export async function checkTransportSecrets(config: Config, env: NodeJS.ProcessEnv): Promise<void> {
  const { transport, ews, graph } = config.delivery;
  if (transport === 'ews' || transport === 'auto') {
    if (!(ews.auth.type === 'oauth' && ews.auth.tokenCommand)) await resolveSecret(ews.auth, env);
  }
  if (transport === 'graph' || transport === 'auto') {
    const name = graph.auth.type === 'app' ? graph.auth.clientSecretEnv : undefined;
    if (name !== undefined && !env[name]) {
      throw new ConfigError([{ key: 'delivery.graph.auth.clientSecretEnv', message: `the environment variable ${name} is not set or empty` }]); // prettier-ignore
    }
  }
}
