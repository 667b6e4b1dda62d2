import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { md4 } from '../../src/sandbox/ntlm/md4.js';
import {
  buildChallenge,
  messageType,
  NtlmMessageError,
  parseAuthenticate,
} from '../../src/sandbox/ntlm/ntlm-messages.js';
import { ntHash, ntlmV2Hash, verifyAuthenticate } from '../../src/sandbox/ntlm/ntlm-verify.js';

// The NTLM client the EWS transport uses (through @ewsjs/xhr), to produce real messages.
const ntlmClient = createRequire(import.meta.url)('@ewsjs/ntlm-client') as {
  createType1Message(workstation: string, domain: string): string;
  decodeType2Message(header: string): unknown;
  createType3Message(t2: unknown, user: string, pw: string, ws: string, domain: string): string;
};
const token = (header: string) => Buffer.from(header.replace(/^NTLM /, ''), 'base64');

describe('md4', () => {
  it.each([
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ])('matches the RFC 1320 test vector for %j', (input, hex) => {
    expect(md4(Buffer.from(input, 'latin1')).toString('hex')).toBe(hex);
  });
});

describe('NTLM hashes (MS-NLMP 4.2.4 test values)', () => {
  it('computes NTOWFv1 and NTOWFv2', () => {
    expect(ntHash('Password').toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect(ntlmV2Hash('Password', 'User', 'Domain').toString('hex')).toBe(
      '0c868a403bfd7a93a3001ef22ef02e3f',
    );
  });
});

describe('NTLM handshake messages', () => {
  const account = { username: 'alice', domain: 'CONTOSO', password: 'S3cret&"<pw>' };
  const challenge = Buffer.from('0123456789abcdef', 'hex');
  const type2 = `NTLM ${buildChallenge(challenge, 'CONTOSO').toString('base64')}`;

  function type3(user: string, password: string, domain = 'CONTOSO'): Buffer {
    return token(
      ntlmClient.createType3Message(
        ntlmClient.decodeType2Message(type2),
        user,
        password,
        'WS',
        domain,
      ),
    );
  }

  it('builds a challenge the client library reads as NTLMv2 with target info', () => {
    const t2 = ntlmClient.decodeType2Message(type2) as { version: number; challenge: Buffer; targetName: string }; // prettier-ignore
    expect(t2.version).toBe(2);
    expect(t2.challenge.equals(challenge)).toBe(true);
    expect(t2.targetName).toBe('CONTOSO');
    expect(messageType(token(ntlmClient.createType1Message('WS', 'CONTOSO')))).toBe(1);
  });

  it('accepts the NTLMv2 response computed with the right password', () => {
    const msg = parseAuthenticate(type3('alice', account.password));
    expect(msg).toMatchObject({ user: 'alice', domain: 'CONTOSO', workstation: 'WS' });
    expect(msg.ntResponse.length).toBeGreaterThan(24);
    expect(verifyAuthenticate(msg, account, challenge)).toEqual({ ok: true });
  });

  it('refuses a wrong password, another user, and an answer to another challenge', () => {
    const verdict = (t: Buffer, c = challenge) =>
      verifyAuthenticate(parseAuthenticate(t), account, c);
    expect(verdict(type3('alice', 'wrong'))).toEqual({ ok: false, reason: 'wrong-response' });
    expect(verdict(type3('mallory', account.password))).toEqual({
      ok: false,
      reason: 'unknown-user',
    });
    expect(verdict(type3('alice', account.password, 'FABRIKAM'))).toEqual({ ok: false, reason: 'unknown-user' }); // prettier-ignore
    expect(verdict(type3('alice', account.password), Buffer.alloc(8))).toEqual({ ok: false, reason: 'wrong-response' }); // prettier-ignore
  });

  it('rejects garbage as a malformed message', () => {
    expect(() => messageType(Buffer.from('hello world, no NTLM here'))).toThrow(NtlmMessageError);
    const t3 = type3('alice', 'x');
    t3.writeUInt32LE(0xfffff, 28 + 4); // domain field offset beyond the end
    expect(() => parseAuthenticate(t3)).toThrow(NtlmMessageError);
  });
});
