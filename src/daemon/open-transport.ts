import type { Config } from '../config/config-types.js';
import { AUTODISCOVER } from '../config/parse-ews.js';
import { resolveSecret } from '../config/secrets.js';
import { openAutodiscoverTransport } from '../delivery/autodiscover-open.js';
import { makeEwsTransport } from '../delivery/ews-transport.js';
import type { Transport } from '../delivery/transport.js';
import { startSandbox } from '../sandbox/sandbox-server.js';

/** A transport and how to release it (the in-process sandbox is a server to close too). */
export interface OpenedTransport {
  transport: Transport;
  close: () => Promise<void>;
  /** Secret values in use, so the logger can make sure they never appear in a line. */
  secrets: string[];
}

/**
 * Opens the configured transport. `sandbox` runs the real EWS client against the embedded EWS
 * sandbox on a loopback port, so the demo exercises the same code path as production.
 */
export async function openTransport(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<OpenedTransport> {
  const { ews } = config.delivery;
  if (config.delivery.transport === 'sandbox') {
    const sandbox = await startSandbox({ port: 0, mailboxDir: config.delivery.sandbox.mailbox });
    const transport = makeEwsTransport({
      url: sandbox.url,
      version: ews.version,
      timeoutMs: ews.timeout,
      credentials: { kind: 'basic', username: 'sandbox', password: 'sandbox' },
      rejectUnauthorized: true,
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
      ? { kind: 'oauth' as const, token: async () => (await resolveSecret(ews.auth, env) as { token: string }).token }
      : ews.auth.type === 'ntlm'
        ? { kind: 'ntlm' as const, username: secret.username, password: secret.password, ...(ews.auth.domain ? { domain: ews.auth.domain } : {}) }
        : { kind: 'basic' as const, username: secret.username, password: secret.password };
  const make = (url: string) => makeEwsTransport({ url, version: ews.version, timeoutMs: ews.timeout, credentials, rejectUnauthorized: ews.rejectUnauthorized }); // prettier-ignore
  const transport =
    ews.url === AUTODISCOVER
      ? openAutodiscoverTransport({ ews, credentials, stateDir: config.stateDir, env, makeTransport: make })
      : make(ews.url);
  return {
    transport,
    close: () => transport.close(),
    secrets: 'token' in secret ? [secret.token] : [secret.password],
  };
}
