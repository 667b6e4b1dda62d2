import { createHmac, timingSafeEqual } from 'node:crypto';
import { md4 } from './md4.js';
import type { AuthenticateMessage } from './ntlm-messages.js';

/** The account the sandbox accepts over NTLM. */
export interface NtlmAccount {
  username: string;
  /** NetBIOS domain, e.g. `CONTOSO` (compared case-insensitively). */
  domain: string;
  password: string;
}

/** Why an AUTHENTICATE message was refused (for the sandbox log; never holds the password). */
export type NtlmVerdict =
  | { ok: true }
  | { ok: false; reason: 'unknown-user' | 'not-ntlmv2' | 'wrong-response' | 'malformed' };

/** NT hash: MD4 of the UTF-16LE password (MS-NLMP 3.3.1). */
export const ntHash = (password: string): Buffer => md4(Buffer.from(password, 'utf16le'));

/** NTOWFv2: HMAC-MD5 over UPPER(user) + domain in UTF-16LE, keyed by the NT hash (MS-NLMP 3.3.2). */
export function ntlmV2Hash(password: string, user: string, domain: string): Buffer {
  return createHmac('md5', ntHash(password))
    .update(Buffer.from(user.toUpperCase() + domain, 'utf16le'))
    .digest();
}

/**
 * Checks an AUTHENTICATE message against the account and the challenge sent on this connection:
 * the NTLMv2 response is NTProofStr (16 bytes) followed by the client's blob, and NTProofStr must
 * equal HMAC-MD5(NTOWFv2, serverChallenge + blob). NTLMv1 answers (24 bytes) are refused, as a
 * hardened Windows domain does (LmCompatibilityLevel 5).
 */
export function verifyAuthenticate(
  msg: AuthenticateMessage,
  account: NtlmAccount,
  serverChallenge: Buffer,
): NtlmVerdict {
  const sameUser = msg.user.toLowerCase() === account.username.toLowerCase();
  const sameDomain = msg.domain === '' || msg.domain.toLowerCase() === account.domain.toLowerCase();
  if (!sameUser || !sameDomain) return { ok: false, reason: 'unknown-user' };
  if (msg.ntResponse.length <= 24) return { ok: false, reason: 'not-ntlmv2' };
  const proof = msg.ntResponse.subarray(0, 16);
  const blob = msg.ntResponse.subarray(16);
  // The client keyed its hash with the domain it sent, so the server does the same.
  const expected = createHmac('md5', ntlmV2Hash(account.password, msg.user, msg.domain))
    .update(Buffer.concat([serverChallenge, blob]))
    .digest();
  return timingSafeEqual(proof, expected) ? { ok: true } : { ok: false, reason: 'wrong-response' };
}
