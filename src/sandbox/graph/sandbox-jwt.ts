/**
 * The few JWT pieces the sandbox token endpoint needs: unsigned ID tokens (MSAL reads their
 * claims without checking a signature) and checking a client assertion signed with the app's
 * certificate key. Pure apart from `crypto.verify`.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';

const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An unsigned JWT carrying these claims (the signature part is a placeholder). */
export function unsignedJwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.sandbox`;
}

/** `client_info` as Entra ID returns it: base64url JSON with the user and tenant object IDs. */
export const clientInfo = (uid: string, utid: string): string => b64url({ uid, utid });

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  if (!part) return undefined;
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Why a client assertion was refused, or undefined when it is good. */
export function checkAssertion(
  assertion: string,
  expected: { clientId: string; publicKey: KeyObject | string; nowSec: number },
): string | undefined {
  const [h, p, s] = assertion.split('.');
  const header = decodePart(h);
  const payload = decodePart(p);
  if (!header || !payload || !s) return 'malformed client assertion';
  const alg = header['alg'];
  const key =
    typeof expected.publicKey === 'string'
      ? createPublicKey(expected.publicKey)
      : expected.publicKey;
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  let good = false;
  if (alg === 'RS256') good = verify('sha256', data, key, sig);
  else if (alg === 'PS256')
    good = verify(
      'sha256',
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      sig,
    );
  else return `unsupported assertion algorithm ${String(alg)}`;
  if (!good) return 'client assertion signature does not match the registered certificate';
  if (payload['iss'] !== expected.clientId || payload['sub'] !== expected.clientId) {
    return 'client assertion issuer/subject is not the client id';
  }
  const exp = payload['exp'];
  if (typeof exp !== 'number' || exp < expected.nowSec) return 'client assertion expired';
  return undefined;
}
