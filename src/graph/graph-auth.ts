/**
 * Tokens for Microsoft Graph through MSAL for Node: app-only client credentials (a secret or a
 * certificate) for a service, or a per-user device-code sign-in whose token cache is kept
 * encrypted for that user (see token-cache.ts). Secrets and tokens are never logged.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import {
  ConfidentialClientApplication,
  PublicClientApplication,
  type AccountInfo,
  type Configuration,
} from '@azure/msal-node';
import { msalAuthority } from './msal-network.js';
import { encryptedCachePlugin, fileKeyStore, type KeyStore } from './token-cache.js';

/** Where bearer tokens come from. */
export interface TokenSource {
  /** A Graph access token; `fresh` skips cached tokens (after the server refused one). */
  token(fresh?: boolean): Promise<string>;
  /** For logs and the probe: the kind of sign-in and the app, never a secret. */
  readonly description: string;
}

/** The app's credential: a secret, or a certificate's private key and thumbprint. */
export type AppCredential =
  | { kind: 'secret'; secret: string }
  | { kind: 'certificate'; privateKeyPem: string; thumbprintSha256: string };

interface CommonAuthOptions {
  /** Authority URL with the tenant, e.g. `https://login.microsoftonline.com/contoso.onmicrosoft.com`. */
  authority: string;
  clientId: string;
  /** Timeout of each request to the identity platform, in ms. */
  timeoutMs: number;
}

export interface AppAuthOptions extends CommonAuthOptions {
  credential: AppCredential;
  /** The resource's `.default` scope, e.g. `https://graph.microsoft.com/.default`. */
  scope: string;
}

export interface DeviceCodeAuthOptions extends CommonAuthOptions {
  /** Delegated scopes, e.g. `https://graph.microsoft.com/Mail.Send`. */
  scopes: string[];
  /** The encrypted MSAL cache file. */
  cacheFile: string;
  /** Where the cache key is kept (default: `<cacheFile>.key`, mode 0600). */
  keys?: KeyStore;
  /** Called when an existing cache file could not be decrypted (it is then ignored). */
  onUnreadableCache?: (why: string) => void;
}

/** A device-code token source, which can also run the sign-in itself. */
export interface DeviceCodeTokenSource extends TokenSource {
  /**
   * Runs the device-code flow: `show` gets the text telling the user where to go and which code
   * to enter. Resolves to the account signed in once the user has approved.
   */
  signIn(show: (message: string) => void, signal?: AbortSignal): Promise<string>;
  /** The account in the cache, if someone signed in already. */
  account(): Promise<string | undefined>;
}

function baseConfig(opts: CommonAuthOptions): Configuration {
  const a = msalAuthority(opts.authority, opts.timeoutMs);
  return {
    auth: { clientId: opts.clientId, authority: a.authority, knownAuthorities: a.knownAuthorities },
    system: a.networkClient ? { networkClient: a.networkClient } : {},
  };
}

/** Keeps MSAL's messages short and free of anything shaped like a token. */
function authFailure(e: unknown): Error {
  const raw = e instanceof Error ? `${(e as { errorCode?: string }).errorCode ?? e.name}: ${e.message}` : String(e); // prettier-ignore
  const text = raw
    .replace(/\b(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9._-]*)/g, '[redacted]')
    .replace(/(secret|assertion|token)=[^&\s]+/gi, '$1=[redacted]')
    .split('\n')[0]!
    .slice(0, 300);
  return new Error(text);
}

/** App-only tokens by client credentials; MSAL caches them in memory until shortly before expiry. */
export function makeAppTokenSource(opts: AppAuthOptions): TokenSource {
  const base = baseConfig(opts);
  const auth = { ...base.auth } as Configuration['auth'] & Record<string, unknown>;
  if (opts.credential.kind === 'secret') auth.clientSecret = opts.credential.secret;
  else {
    auth.clientCertificate = {
      thumbprintSha256: opts.credential.thumbprintSha256,
      privateKey: opts.credential.privateKeyPem,
    };
  }
  const app = new ConfidentialClientApplication({ ...base, auth });
  return {
    description: `app-only (client credentials, ${opts.credential.kind}) for client ${opts.clientId}`,
    async token(fresh = false) {
      try {
        const r = await app.acquireTokenByClientCredential({
          scopes: [opts.scope],
          ...(fresh ? { skipCache: true } : {}),
        });
        if (!r?.accessToken) throw new Error('the token endpoint returned no access token');
        return r.accessToken;
      } catch (e) {
        throw authFailure(e);
      }
    },
  };
}

/** Delegated tokens for one user, signed in by device code and refreshed silently after that. */
export function makeDeviceCodeTokenSource(opts: DeviceCodeAuthOptions): DeviceCodeTokenSource {
  const base = baseConfig(opts);
  const plugin = encryptedCachePlugin(
    opts.cacheFile,
    opts.keys ?? fileKeyStore(`${opts.cacheFile}.key`),
    opts.onUnreadableCache,
  );
  const app = new PublicClientApplication({ ...base, cache: { cachePlugin: plugin } });
  const firstAccount = async (): Promise<AccountInfo | undefined> =>
    (await app.getTokenCache().getAllAccounts())[0];
  return {
    description: `delegated (device-code sign-in) for client ${opts.clientId}`,
    async account() {
      return (await firstAccount())?.username;
    },
    async token(fresh = false) {
      const account = await firstAccount();
      if (!account) {
        throw new Error('nobody has signed in yet: run `imspooler graph-sign-in` as this user');
      }
      try {
        const r = await app.acquireTokenSilent({
          account,
          scopes: opts.scopes,
          forceRefresh: fresh,
        });
        return r.accessToken;
      } catch (e) {
        throw authFailure(e);
      }
    },
    async signIn(show, signal) {
      const request = {
        scopes: opts.scopes,
        deviceCodeCallback: (r: { message: string }) => show(r.message),
        cancel: false,
      };
      const onAbort = () => (request.cancel = true);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const r = await app.acquireTokenByDeviceCode(request);
        if (!r?.account) throw new Error('the sign-in ended without an account');
        return r.account.username;
      } catch (e) {
        throw authFailure(e);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}

/**
 * Reads a PEM file holding the app's private key and, ideally, its certificate (whose SHA-256
 * thumbprint is then computed). Without a certificate in the file, `thumbprint` must be given.
 */
export async function readCertificate(
  file: string,
  thumbprint?: string,
): Promise<Extract<AppCredential, { kind: 'certificate' }>> {
  const pem = await fsp.readFile(file, 'utf8');
  const keyBlock = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.exec(pem)?.[0]; // prettier-ignore
  if (!keyBlock) throw new Error(`${file} holds no PEM private key`);
  // Normalise to PKCS#8, the form MSAL expects.
  const privateKeyPem = createPrivateKey(keyBlock).export({ type: 'pkcs8', format: 'pem' }).toString(); // prettier-ignore
  const certBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const fromCert = certBlock ? new X509Certificate(certBlock).fingerprint256.replace(/:/g, '') : undefined; // prettier-ignore
  const given = thumbprint?.replace(/[:\s]/g, '');
  if (given && given.length !== 64) {
    throw new Error('the certificate thumbprint must be its SHA-256 thumbprint (64 hex digits)');
  }
  const thumbprintSha256 = given ?? fromCert;
  if (!thumbprintSha256) {
    throw new Error(`${file} holds no certificate: add it to the file or give its SHA-256 thumbprint`); // prettier-ignore
  }
  return { kind: 'certificate', privateKeyPem, thumbprintSha256: thumbprintSha256.toUpperCase() };
}
