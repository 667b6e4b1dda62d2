import type { Config } from '../../config/config-types.js';
import { makeAutodiscoverCache } from '../autodiscover-cache.js';
import { discoverEwsUrl } from '../autodiscover-client.js';
import { makeAutodiscoverTransport } from '../autodiscover-transport.js';
import type { EwsCredentials } from '../ews-service.js';
import type { Transport } from '../transport.js';

/**
 * Test-only: every Autodiscover URL is fetched from this origin instead (its path kept), so that
 * tests of the real daemon never ask real DNS. Like `IMSPOOLER_TEST_CRASH_AT`, never for production.
 */
export const TEST_AUTODISCOVER_ORIGIN_ENV = 'IMSPOOLER_TEST_AUTODISCOVER_ORIGIN';

/** What {@link openAutodiscoverTransport} is built from. */
export interface AutodiscoverOpenOptions {
  ews: Config['delivery']['ews'];
  credentials: EwsCredentials;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** Builds the EWS transport once a URL is known. */
  makeTransport(url: string): Transport;
  log?: (line: string) => void;
}

/** The transport for `delivery.ews.url: "autodiscover"`: same credentials for both services. */
export function openAutodiscoverTransport(o: AutodiscoverOpenOptions): Transport {
  const origin = o.env[TEST_AUTODISCOVER_ORIGIN_ENV];
  const urlFor = origin ? (u: URL) => `${origin.replace(/\/$/, '')}${u.pathname}${u.search}` : undefined; // prettier-ignore
  return makeAutodiscoverTransport({
    ...(o.ews.autodiscoverEmail ? { email: o.ews.autodiscoverEmail } : {}),
    cache: makeAutodiscoverCache({ stateDir: o.stateDir }),
    discover: (email, signal) =>
      discoverEwsUrl(email, {
        credentials: o.credentials,
        timeoutMs: o.ews.timeout,
        rejectUnauthorized: o.ews.rejectUnauthorized,
        ...(urlFor ? { urlFor } : {}),
        ...(signal ? { signal } : {}),
        ...(o.log ? { log: o.log } : {}),
      }),
    makeTransport: (url) => o.makeTransport(url),
    ...(o.log ? { log: o.log } : {}),
  });
}
