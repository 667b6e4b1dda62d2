/**
 * NTLM messages as the server sees them (MS-NLMP 2.2.1): reading NEGOTIATE (type 1) and
 * AUTHENTICATE (type 3), writing CHALLENGE (type 2). Pure.
 */

const SIGNATURE = Buffer.from('NTLMSSP\0', 'ascii');

/** Negotiate flags the sandbox uses (MS-NLMP 2.2.2.5). */
export const NTLM_FLAGS = {
  unicode: 0x00000001,
  oem: 0x00000002,
  requestTarget: 0x00000004,
  ntlm: 0x00000200,
  alwaysSign: 0x00008000,
  targetTypeDomain: 0x00010000,
  extendedSessionSecurity: 0x00080000,
  targetInfo: 0x00800000,
} as const;

/** An AUTHENTICATE message's fields, strings decoded. */
export interface AuthenticateMessage {
  lmResponse: Buffer;
  ntResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  flags: number;
}

/** Raised for anything that is not a well-formed NTLM message of the expected type. */
export class NtlmMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtlmMessageError';
  }
}

/** The message type (1, 2 or 3) of a decoded token, or throws. */
export function messageType(token: Buffer): number {
  if (token.length < 12 || !token.subarray(0, 8).equals(SIGNATURE)) {
    throw new NtlmMessageError('not an NTLMSSP message');
  }
  return token.readUInt32LE(8);
}

function field(token: Buffer, at: number): Buffer {
  if (token.length < at + 8) throw new NtlmMessageError('truncated message');
  const length = token.readUInt16LE(at);
  const offset = token.readUInt32LE(at + 4);
  if (length === 0) return Buffer.alloc(0);
  if (offset + length > token.length) throw new NtlmMessageError('field outside the message');
  return token.subarray(offset, offset + length);
}

/** Reads an AUTHENTICATE (type 3) message. */
export function parseAuthenticate(token: Buffer): AuthenticateMessage {
  if (messageType(token) !== 3) throw new NtlmMessageError('expected an AUTHENTICATE message');
  if (token.length < 64) throw new NtlmMessageError('truncated AUTHENTICATE message');
  const flags = token.readUInt32LE(60);
  const text = (b: Buffer): string => b.toString(flags & NTLM_FLAGS.unicode ? 'utf16le' : 'latin1');
  return {
    lmResponse: field(token, 12),
    ntResponse: field(token, 20),
    domain: text(field(token, 28)),
    user: text(field(token, 36)),
    workstation: text(field(token, 44)),
    flags,
  };
}

function avPair(id: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value]);
}

/** The target information block: NetBIOS domain and computer names, DNS names, end of list. */
export function targetInfo(domain: string, computer: string): Buffer {
  const u = (s: string): Buffer => Buffer.from(s, 'utf16le');
  return Buffer.concat([
    avPair(2, u(domain.toUpperCase())),
    avPair(1, u(computer.toUpperCase())),
    avPair(4, u(`${domain.toLowerCase()}.sandbox.invalid`)),
    avPair(3, u(`${computer.toLowerCase()}.${domain.toLowerCase()}.sandbox.invalid`)),
    avPair(0, Buffer.alloc(0)),
  ]);
}

/**
 * A CHALLENGE (type 2) message offering NTLMv2 (extended session security, target info) in
 * Unicode, as Windows servers do.
 */
export function buildChallenge(challenge: Buffer, domain: string, computer = 'SANDBOX'): Buffer {
  if (challenge.length !== 8) throw new RangeError('the server challenge is 8 bytes');
  const target = Buffer.from(domain.toUpperCase(), 'utf16le');
  const info = targetInfo(domain, computer);
  const head = Buffer.alloc(48);
  SIGNATURE.copy(head, 0);
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(target.length, 12);
  head.writeUInt16LE(target.length, 14);
  head.writeUInt32LE(48, 16);
  const f = NTLM_FLAGS;
  head.writeUInt32LE(
    f.unicode | f.requestTarget | f.ntlm | f.alwaysSign | f.targetTypeDomain | f.extendedSessionSecurity | f.targetInfo, // prettier-ignore
    20,
  );
  challenge.copy(head, 24);
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(48 + target.length, 44);
  return Buffer.concat([head, target, info]);
}
