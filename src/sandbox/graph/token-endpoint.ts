/**
 * The sandbox's stand-in for the Entra ID (Azure AD) v2.0 endpoints MSAL uses: OpenID metadata,
 * the token endpoint (client credentials with a secret or a certificate assertion, device code,
 * refresh token) and the device-code endpoint. Tokens are opaque random strings that the Graph
 * routes then accept. Device codes are approved at once, or only after `approveDeviceCodes()`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { checkAssertion, clientInfo, unsignedJwt } from './sandbox-jwt.js';

/** How the sandbox plays the identity platform. Absent values accept anything. */
export interface TokenEndpointOptions {
  /** The app's client ID; other IDs get `invalid_client`. */
  clientId?: string;
  /** The only client secret accepted. */
  clientSecret?: string;
  /** Public key (PEM or KeyObject) that client assertions must be signed with. */
  certificatePublicKey?: KeyObject | string;
  /** `approve` (default): a device code is approved at its first poll; `manual`: after `approveDeviceCodes()`. */
  deviceCode?: 'approve' | 'manual';
  /** Seconds MSAL waits between polls (default 0, so tests are quick). */
  pollIntervalSec?: number;
  /** Who signs in with a device code (default `user@sandbox.invalid`). */
  user?: string;
  /** Access token lifetime in seconds (default 3600). */
  tokenLifetimeSec?: number;
}

/** Counters tests check: how many tokens of each kind were handed out. */
export interface TokenStats {
  clientCredentials: number;
  deviceCodesIssued: number;
  deviceCodeTokens: number;
  refreshTokens: number;
  refused: number;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

interface PendingCode {
  approved: boolean;
  expiresAt: number;
  clientId: string;
  scope: string;
}

/** The token service's state and its answers; the HTTP shell lives in graph-sandbox.ts. */
export class TokenEndpoint {
  readonly stats: TokenStats = { clientCredentials: 0, deviceCodesIssued: 0, deviceCodeTokens: 0, refreshTokens: 0, refused: 0 }; // prettier-ignore
  private readonly tokens = new Map<string, { expiresAt: number; subject: string }>();
  private readonly refresh = new Map<string, { user: string; clientId: string; scope: string }>();
  private readonly codes = new Map<string, PendingCode>();
  private readonly tenantId = randomUUID();
  private readonly userId = randomUUID();

  constructor(
    private readonly opts: TokenEndpointOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Approves every device code issued so far (for `deviceCode: 'manual'`). */
  approveDeviceCodes(): void {
    for (const c of this.codes.values()) c.approved = true;
  }

  /** Forgets every access token (the next Graph call gets 401). */
  revokeAll(): void {
    this.tokens.clear();
  }

  /** Who a bearer token belongs to, or undefined when it is unknown or expired. */
  check(token: string): string | undefined {
    const t = this.tokens.get(token);
    return t && t.expiresAt > this.now() ? t.subject : undefined;
  }

  /** OpenID configuration for `<origin>/<tenant>`. */
  openIdConfiguration(origin: string, tenant: string): TokenAnswer {
    const base = `${origin}/${tenant}`;
    return {
      status: 200,
      body: {
        issuer: `${origin}/${this.tenantId}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        tenant_region_scope: 'EU',
      },
    };
  }

  /** `POST .../oauth2/v2.0/devicecode`. */
  deviceCode(form: URLSearchParams, origin: string): TokenAnswer {
    const clientId = form.get('client_id') ?? '';
    const bad = this.badClient(clientId);
    if (bad) return bad;
    const code = randomBytes(24).toString('base64url');
    const userCode = randomBytes(4).toString('hex').toUpperCase();
    this.codes.set(code, {
      approved: (this.opts.deviceCode ?? 'approve') === 'approve',
      expiresAt: this.now() + 900_000,
      clientId,
      scope: form.get('scope') ?? '',
    });
    this.stats.deviceCodesIssued += 1;
    const uri = `${origin}/devicelogin`;
    return {
      status: 200,
      body: {
        device_code: code,
        user_code: userCode,
        verification_uri: uri,
        expires_in: 900,
        interval: this.opts.pollIntervalSec ?? 0,
        message: `To sign in, use a web browser to open the page ${uri} and enter the code ${userCode} to authenticate.`,
      },
    };
  }

  /** `POST .../oauth2/v2.0/token`. */
  token(form: URLSearchParams, origin: string): TokenAnswer {
    const grant = form.get('grant_type');
    const clientId = form.get('client_id') ?? '';
    const bad = this.badClient(clientId);
    if (bad) return bad;
    const scope = form.get('scope') ?? '';
    if (grant === 'client_credentials') {
      const why = this.badCredential(form, clientId);
      if (why) return this.refuse(401, 'invalid_client', why);
      if (!scope.split(' ').some((s) => s.endsWith('/.default'))) {
        return this.refuse(400, 'invalid_scope', 'AADSTS1002012: scope must end in /.default');
      }
      this.stats.clientCredentials += 1;
      return { status: 200, body: { token_type: 'Bearer', ...this.issue(`app:${clientId}`) } };
    }
    // Entra ID takes the RFC 8628 name and MSAL's short one.
    if (grant === 'urn:ietf:params:oauth:grant-type:device_code' || grant === 'device_code') {
      const code = this.codes.get(form.get('device_code') ?? '');
      if (!code || code.expiresAt <= this.now() || code.clientId !== clientId) {
        return this.refuse(400, 'expired_token', 'AADSTS70020: The provided value for the input parameter device_code is not valid.'); // prettier-ignore
      }
      if (!code.approved) {
        return { status: 400, body: { error: 'authorization_pending', error_description: 'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.' } }; // prettier-ignore
      }
      this.codes.delete(form.get('device_code') ?? '');
      this.stats.deviceCodeTokens += 1;
      return { status: 200, body: this.userTokens(clientId, code.scope, origin) };
    }
    if (grant === 'refresh_token') {
      const r = this.refresh.get(form.get('refresh_token') ?? '');
      if (!r || r.clientId !== clientId) {
        return this.refuse(400, 'invalid_grant', 'AADSTS70000: The refresh token is not valid.');
      }
      this.stats.refreshTokens += 1;
      return { status: 200, body: this.userTokens(clientId, r.scope, origin) };
    }
    return this.refuse(
      400,
      'unsupported_grant_type',
      `grant type ${String(grant)} is not supported`,
    );
  }

  private badClient(clientId: string): TokenAnswer | undefined {
    if (!clientId) return this.refuse(400, 'invalid_request', 'AADSTS900144: client_id is missing');
    if (this.opts.clientId !== undefined && clientId !== this.opts.clientId) {
      return this.refuse(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found.`); // prettier-ignore
    }
    return undefined;
  }

  private badCredential(form: URLSearchParams, clientId: string): string | undefined {
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (this.opts.clientSecret === undefined || secret === this.opts.clientSecret)
        return undefined;
      return 'AADSTS7000215: Invalid client secret provided.';
    }
    if (assertion !== null) {
      if (!this.opts.certificatePublicKey) return undefined;
      const why = checkAssertion(assertion, {
        clientId,
        publicKey: this.opts.certificatePublicKey,
        nowSec: Math.floor(this.now() / 1000),
      });
      return why ? `AADSTS700027: ${why}` : undefined;
    }
    return 'AADSTS7000216: client_assertion or client_secret is required.';
  }

  private refuse(status: number, error: string, description: string): TokenAnswer {
    this.stats.refused += 1;
    return { status, body: { error, error_description: description, error_codes: [] } };
  }

  private issue(subject: string): Record<string, unknown> {
    const lifetime = this.opts.tokenLifetimeSec ?? 3600;
    const accessToken = `sandbox.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { expiresAt: this.now() + lifetime * 1000, subject });
    return { access_token: accessToken, expires_in: lifetime, ext_expires_in: lifetime };
  }

  private userTokens(clientId: string, scope: string, origin: string): Record<string, unknown> {
    const user = this.opts.user ?? 'user@sandbox.invalid';
    const refreshToken = randomBytes(32).toString('base64url');
    this.refresh.set(refreshToken, { user, clientId, scope });
    const nowSec = Math.floor(this.now() / 1000);
    const idToken = unsignedJwt({
      aud: clientId,
      iss: `${origin}/${this.tenantId}/v2.0`,
      iat: nowSec,
      nbf: nowSec,
      exp: nowSec + 3600,
      name: user,
      preferred_username: user,
      oid: this.userId,
      sub: this.userId,
      tid: this.tenantId,
      ver: '2.0',
    });
    return {
      token_type: 'Bearer',
      scope: scope
        .split(' ')
        .filter((s) => s && !['openid', 'profile', 'offline_access'].includes(s))
        .join(' '),
      ...this.issue(`user:${user}`),
      refresh_token: refreshToken,
      id_token: idToken,
      client_info: clientInfo(this.userId, this.tenantId),
    };
  }
}
