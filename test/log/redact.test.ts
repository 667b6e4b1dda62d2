import { describe, expect, it } from 'vitest';
import { makeRedactor, redactDeep } from '../../src/log/redact.js';

/** What reaches a log line: known secrets and credential shapes never do, whatever the text. */
describe('redaction of log strings', () => {
  const redact = makeRedactor(() => ['Pa55word_x']);

  it('hides a known secret in plain text too (IDs, addresses, words without spaces)', () => {
    expect(redact('alice.Pa55word_x@contoso.com')).toBe('alice.[REDACTED]@contoso.com');
    expect(redact('Pa55word_x')).toBe('[REDACTED]');
  });

  it('masks headers, bearer tokens and URL credentials in free text', () => {
    expect(redact('Authorization: Basic dXNlcjpwdw==')).toBe('Authorization: [REDACTED]');
    expect(redact('sent Bearer eyJabc.def')).toBe('sent Bearer [REDACTED]');
    expect(redact('GET https://bob:pw@mail.contoso.com/EWS?access_token=xyz')).toBe(
      'GET https://***@mail.contoso.com/EWS?access_token=***',
    );
  });

  it('leaves ordinary values as they are, in nested records', () => {
    const rec = {
      event: { action: 'delivery.succeeded', duration: 1200 },
      imspooler: { item: { id: 'ab'.repeat(32) } },
      email: { to: { address: ['bob+im@contoso.com'] } },
      file: { path: 'C:\\Users\\alice\\History Spooler\\x.json' },
    };
    expect(redactDeep(rec, redact)).toEqual(rec);
  });
});
