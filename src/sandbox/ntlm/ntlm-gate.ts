import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { Socket } from 'node:net';
import {
  buildChallenge,
  messageType,
  NtlmMessageError,
  parseAuthenticate,
} from './ntlm-messages.js';
import { verifyAuthenticate, type NtlmAccount, type NtlmVerdict } from './ntlm-verify.js';

export type { NtlmAccount } from './ntlm-verify.js';

/** Handshakes seen, for tests. */
export interface NtlmGateStats {
  challenges: number;
  accepted: number;
  rejected: number;
}

/** The server half of NTLM over HTTP, in front of the sandbox's endpoints. */
export interface NtlmGate {
  /**
   * True when the request may proceed (its connection has completed the handshake); otherwise
   * the gate has answered it (401 with a challenge, or 401 refusing the credentials).
   */
  admit(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  stats: NtlmGateStats;
}

interface ConnectionState {
  /** The challenge sent on this connection, until a type 3 message uses it up. */
  challenge?: Buffer | undefined;
  authenticated: boolean;
}

/**
 * NTLM authenticates the TCP connection, not the request (MS-NTHT): type 1 earns a 401 carrying
 * the challenge on the same keep-alive connection, type 3 is checked against that challenge, and
 * the connection stays authenticated afterwards. A type 3 on another connection, or a second one
 * reusing a challenge, is refused. A refused type 3 gets a bare `WWW-Authenticate: NTLM`, as IIS
 * answers, so a client with a wrong password stops there instead of looping.
 */
export function makeNtlmGate(account: NtlmAccount, log: (line: string) => void): NtlmGate {
  const connections = new WeakMap<Socket, ConnectionState>();
  const stats: NtlmGateStats = { challenges: 0, accepted: 0, rejected: 0 };

  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, header: string): false => {
    req.resume(); // drain the body so the connection can carry the next leg
    res.writeHead(401, { 'WWW-Authenticate': header, 'Content-Length': '0' }).end();
    return false;
  };

  function admit(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const state = connections.get(req.socket) ?? { authenticated: false };
    connections.set(req.socket, state);
    const token = /^NTLM\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined) return state.authenticated || refuse(req, res, 'NTLM');
    let type: number;
    const raw = Buffer.from(token, 'base64');
    try {
      type = messageType(raw);
    } catch (e) {
      if (!(e instanceof NtlmMessageError)) throw e;
      return refuse(req, res, 'NTLM');
    }
    if (type === 1) {
      state.authenticated = false;
      state.challenge = randomBytes(8);
      stats.challenges += 1;
      const challenge = buildChallenge(state.challenge, account.domain).toString('base64');
      return refuse(req, res, `NTLM ${challenge}`);
    }
    const challenge = state.challenge;
    state.challenge = undefined;
    if (type !== 3 || challenge === undefined) {
      stats.rejected += 1;
      log('sandbox NTLM: type 3 without a challenge on this connection -> 401');
      return refuse(req, res, 'NTLM');
    }
    let verdict: NtlmVerdict;
    try {
      verdict = verifyAuthenticate(parseAuthenticate(raw), account, challenge);
    } catch (e) {
      if (!(e instanceof NtlmMessageError)) throw e;
      verdict = { ok: false, reason: 'malformed' };
    }
    if (!verdict.ok) {
      stats.rejected += 1;
      log(`sandbox NTLM: credentials refused (${verdict.reason}) -> 401`);
      return refuse(req, res, 'NTLM');
    }
    stats.accepted += 1;
    state.authenticated = true;
    return true;
  }

  return { admit, stats };
}
