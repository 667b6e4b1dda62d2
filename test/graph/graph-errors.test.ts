import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHttp, fromNetwork, retryAfterMs } from '../../src/graph/graph-errors.js';
import { propertyFilter } from '../../src/graph/graph-props.js';
import { seal, unseal } from '../../src/graph/token-cache.js';
import { classify } from '../../src/retry/classify.js';
import { parsePropertyFilter } from '../../src/sandbox/graph/graph-mail.js';

const NOW = Date.parse('2026-11-24T10:00:00Z');
const body = (code: string, message = 'm') => JSON.stringify({ error: { code, message } });

describe('Graph failures as DeliveryErrors', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('30', NOW)).toBe(30_000);
    expect(retryAfterMs('1.5', NOW)).toBe(1500);
    expect(retryAfterMs('Tue, 24 Nov 2026 10:00:45 GMT', NOW)).toBe(45_000);
    expect(retryAfterMs('Tue, 24 Nov 2026 09:00:00 GMT', NOW)).toBe(0);
    expect(retryAfterMs('soon', NOW)).toBeUndefined();
    expect(retryAfterMs(null, NOW)).toBeUndefined();
  });

  it('classifies 429, 503 and 504 like EWS throttling, with the pause the server asked for', () => {
    const e429 = fromHttp(429, body('ApplicationThrottled'), '12', 'send', NOW);
    expect(e429).toMatchObject({ code: 'Http429', backOffMs: 12_000, unclear: false });
    expect(classify(e429)).toMatchObject({ kind: 'transient', backOffMs: 12_000, lowerConcurrency: true }); // prettier-ignore
    const e503 = fromHttp(503, '', '5', 'send', NOW);
    expect(e503).toMatchObject({ code: 'Http503', backOffMs: 5000, unclear: false });
    expect(classify(e503)).toMatchObject({ kind: 'transient', backOffMs: 5000 });
    const e504 = fromHttp(504, '<html>gateway</html>', null, 'send', NOW);
    expect(e504).toMatchObject({ code: 'Http504', unclear: true });
    expect(fromHttp(504, '', null, 'find', NOW).unclear).toBe(false);
  });

  it('keeps the Exchange codes Graph passes through, so EWS rules apply', () => {
    expect(classify(fromHttp(403, body('ErrorSendAsDenied'), null, 'send', NOW)).kind).toBe('permanent'); // prettier-ignore
    expect(classify(fromHttp(507, body('ErrorQuotaExceeded'), null, 'send', NOW)).kind).toBe('park'); // prettier-ignore
    const clear500 = fromHttp(500, body('ErrorInternalServerTransientError'), null, 'send', NOW);
    expect(clear500).toMatchObject({ code: 'ErrorInternalServerTransientError', unclear: false });
    expect(fromHttp(500, body('generalException'), null, 'send', NOW)).toMatchObject({ code: 'Http500', unclear: true }); // prettier-ignore
    expect(classify(fromHttp(400, body('BadRequest'), null, 'send', NOW)).kind).toBe('permanent');
  });

  it('never repeats a token echoed in an error message', () => {
    const e = fromHttp(401, body('InvalidAuthenticationToken', 'Bearer eyJabc.def.ghi is bad'), null, 'send', NOW); // prettier-ignore
    expect(e.message).not.toContain('eyJabc');
  });

  it('maps socket failures: refused is clear, a reset during a send is unclear', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } }); // prettier-ignore
    expect(fromNetwork(refused, 'send', undefined)).toMatchObject({ code: 'ConnectionRefused', unclear: false }); // prettier-ignore
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET', message: 'other side closed' } }); // prettier-ignore
    expect(fromNetwork(reset, 'send', undefined)).toMatchObject({ code: 'ConnectionReset', unclear: true }); // prettier-ignore
    expect(fromNetwork(reset, 'find', undefined).unclear).toBe(false);
    expect(fromNetwork(new Error('x'), 'send', 'timeout')).toMatchObject({ code: 'Timeout', unclear: true }); // prettier-ignore
  });
});

describe('the look-up filter', () => {
  it('quotes values for OData and the sandbox reads them back', () => {
    const f = propertyFilter('String {00020386-0000-0000-C000-000000000046} Name X-IMSpooler-Item-Id', "it's/org"); // prettier-ignore
    expect(f).toBe("singleValueExtendedProperties/Any(ep: ep/id eq 'String {00020386-0000-0000-C000-000000000046} Name X-IMSpooler-Item-Id' and ep/value eq 'it''s/org')"); // prettier-ignore
    expect(parsePropertyFilter(f)).toEqual({ id: 'String {00020386-0000-0000-C000-000000000046} Name X-IMSpooler-Item-Id', value: "it's/org" }); // prettier-ignore
  });
});

describe('token cache encryption', () => {
  it('round-trips, and refuses a tampered file or another key', () => {
    const key = randomBytes(32);
    const sealed = seal('{"AccessToken":{}}', key);
    expect(sealed).not.toContain('AccessToken');
    expect(unseal(sealed, key)).toBe('{"AccessToken":{}}');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('{"AccessToken":{"x":1}}').toString('base64url');
    expect(() => unseal(parts.join('.'), key)).toThrow();
    expect(() => unseal(sealed, randomBytes(32))).toThrow();
  });
});
