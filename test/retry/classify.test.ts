import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/errors/errors.js';
import { classify } from '../../src/retry/classify.js';

const err = (
  code: string,
  d: { httpStatus?: number; backOffMs?: number; unclear?: boolean } = {},
) => new DeliveryError(code, `${code}: test`, d);

describe('classify', () => {
  it.each([
    'ErrorServerBusy',
    'ErrorInternalServerTransientError',
    'ErrorMailboxStoreUnavailable',
    'ErrorMailboxMoveInProgress',
    'ErrorMailboxFailover',
    'ErrorConnectionFailed',
    'ErrorTimeoutExpired',
    'ErrorTooManyObjectsOpened',
    'Http502',
    'Http503',
    'Http504',
    'ConnectionRefused',
    'ConnectionReset',
    'Timeout',
    'HostNotFound',
    'TlsError',
    'Aborted',
    'TokenUnavailable',
  ])('%s is transient', (code) => {
    const c = classify(err(code));
    expect(c.kind).toBe('transient');
    expect(c.lowerConcurrency).toBeUndefined();
  });

  it.each([
    'ErrorInvalidRecipients',
    'ErrorAccessDenied',
    'ErrorSendAsDenied',
    'ErrorMessageSizeExceeded',
    'ErrorSchemaValidation',
    'ErrorNonExistentMailbox',
    'ErrorAccountDisabled',
    'ErrorInvalidExtendedPropertyValue',
  ])('%s is permanent', (code) => {
    expect(classify(err(code)).kind).toBe('permanent');
  });

  it.each(['ErrorQuotaExceeded', 'ErrorSubmissionQuotaExceeded'])('%s is parked', (code) => {
    expect(classify(err(code)).kind).toBe('park');
  });

  it('ErrorExceededConnectionCount asks for lower concurrency', () => {
    expect(classify(err('ErrorExceededConnectionCount'))).toMatchObject({
      kind: 'transient',
      lowerConcurrency: true,
    });
  });

  it('passes the server back-off on, and only a usable one', () => {
    expect(classify(err('ErrorServerBusy', { backOffMs: 2500 }))).toEqual({
      kind: 'transient',
      reason: 'server busy (throttled)',
      backOffMs: 2500,
    });
    expect(classify(err('ErrorServerBusy')).backOffMs).toBeUndefined();
    expect(classify(err('ErrorServerBusy', { backOffMs: 0 })).backOffMs).toBeUndefined();
    expect(classify(err('ErrorServerBusy', { backOffMs: NaN })).backOffMs).toBeUndefined();
    expect(classify(err('ErrorQuotaExceeded', { backOffMs: 60_000 }))).toMatchObject({
      kind: 'park',
      backOffMs: 60_000,
    });
  });

  it('401 is transient and says to check the credentials (maxAge bounds it)', () => {
    expect(classify(err('Http401', { httpStatus: 401 }))).toEqual({
      kind: 'transient',
      reason: 'authentication failed (check credentials)',
    });
  });

  it('unknown EWS codes and unknown failures are transient, so nothing is dropped', () => {
    expect(classify(err('ErrorBrandNewThing'))).toMatchObject({
      kind: 'transient',
      reason: expect.stringContaining('ErrorBrandNewThing'),
    });
    expect(classify(err('Unknown'))).toMatchObject({ kind: 'transient' });
  });

  it('other HTTP statuses: 5xx and 404 transient, other 4xx permanent', () => {
    expect(classify(err('Http500')).kind).toBe('transient');
    expect(classify(err('Http507')).kind).toBe('transient');
    expect(classify(err('Http404')).kind).toBe('transient');
    expect(classify(err('Http429')).lowerConcurrency).toBe(true);
    expect(classify(err('Http400')).kind).toBe('permanent');
    expect(classify(err('Http403')).kind).toBe('permanent');
  });

  it('is pure: same input, same answer, input untouched', () => {
    const e = err('ErrorServerBusy', { backOffMs: 10 });
    expect(classify(e)).toEqual(classify(e));
    expect(e.backOffMs).toBe(10);
  });
});
