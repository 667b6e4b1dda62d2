import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/errors/errors.js';
import { sanitise, toDeliveryError } from '../../src/delivery/ews-errors.js';
import { describeSignIn } from '../../src/delivery/open/open-transport.js';

/**
 * The shapes below are what ews-javascript-api 0.15.3 was seen to throw (see DOMAIN.md and
 * ews-transport.test.ts, which produces them for real against a local server).
 */
const dictionary = (entries: Record<string, string>) => ({
  keys: Object.keys(entries),
  objects: entries,
});
const networkFault = (message: string) => ({
  message,
  faultCode: null,
  responseCode: 127,
  errorDetails: dictionary({}),
  HttpStatusCode: undefined,
});

describe('toDeliveryError', () => {
  it('maps a SOAP fault with its numeric ResponseCode and string BackOffMilliseconds', () => {
    const e = toDeliveryError(
      {
        message: 'busy',
        faultCode: 'a:ErrorServerBusy',
        responseCode: 363,
        errorDetails: dictionary({ BackOffMilliseconds: '1234' }),
        HttpStatusCode: 500,
      },
      'send',
    );
    expect(e).toMatchObject({
      code: 'ErrorServerBusy',
      httpStatus: 500,
      backOffMs: 1234,
      unclear: false,
    });
    // The code is beside the message, not in it: readers print `code: message`.
    expect(e.message).toBe('busy');
  });

  it('prefers the server-written code when the library fell back to ErrorInternalServerError', () => {
    const fault = {
      message: 'x',
      faultCode: 'a:ErrorShinyNew',
      responseCode: 127,
      errorDetails: dictionary({}),
      HttpStatusCode: 500,
    };
    expect(toDeliveryError(fault, 'send').code).toBe('ErrorShinyNew');
    expect(toDeliveryError(fault, 'send', { responseCode: 'ErrorFromBody' }).code).toBe(
      'ErrorFromBody',
    );
  });

  it('maps a ServiceResponseException by its response ErrorCode', () => {
    const e = toDeliveryError(
      {
        message: 'One or more recipients are invalid.',
        response: {
          ErrorCode: 208,
          ErrorMessage: 'One or more recipients are invalid.',
          ErrorDetails: dictionary({}),
        },
      },
      'send',
    );
    expect(e).toMatchObject({ code: 'ErrorInvalidRecipients', unclear: false });
    const unknown = toDeliveryError(
      { message: 'x', response: { ErrorCode: undefined, ErrorMessage: 'x' } },
      'send',
    );
    expect(unknown.code).toBe('ErrorUnknown');
  });

  it('a 401 says which user was refused and where the password comes from, never the password', () => {
    const signIn = describeSignIn({
      type: 'basic',
      username: 'CONTOSO\\alice',
      passwordEnv: 'IMSPOOLER_EWS_PASSWORD',
    });
    const e = toDeliveryError(
      { ...networkFault('401 Unauthorized'), HttpStatusCode: 401 },
      'send',
      {
        signIn,
      },
    );
    expect(e).toMatchObject({ code: 'Http401', unclear: false });
    expect(e.message).toBe(
      'HTTP 401 Unauthorized: the server refused user CONTOSO\\alice, password from the environment variable IMSPOOLER_EWS_PASSWORD',
    );
    const ntlm = toDeliveryError({ ...networkFault(''), HttpStatusCode: 401 }, 'send', {
      ntlm: true,
      signIn: describeSignIn({
        type: 'ntlm',
        username: 'alice',
        domain: 'CONTOSO',
        passwordEnv: 'PW',
      }),
    });
    expect(ntlm.message).toContain(
      'NTLM credentials of user CONTOSO\\alice, password from the environment variable PW',
    );
    expect(describeSignIn({ type: 'oauth', tokenEnv: 'EWS_TOKEN' })).toBe(
      'the OAuth token from the environment variable EWS_TOKEN',
    );
  });

  it('maps HTTP statuses without a SOAP fault; gateway errors on a send are unclear', () => {
    expect(
      toDeliveryError({ ...networkFault('401 Unauthorized'), HttpStatusCode: 401 }, 'send'),
    ).toMatchObject({ code: 'Http401', unclear: false });
    expect(toDeliveryError({ ...networkFault(''), HttpStatusCode: 503 }, 'send')).toMatchObject({
      code: 'Http503',
      message: 'HTTP 503: Service Unavailable',
      unclear: false,
    });
    expect(toDeliveryError({ ...networkFault(''), HttpStatusCode: 504 }, 'send').unclear).toBe(
      true,
    );
    expect(toDeliveryError({ ...networkFault(''), HttpStatusCode: 504 }, 'find').unclear).toBe(
      false,
    );
  });

  it.each([
    ['socket hang up', 'ConnectionReset', true],
    ['read ECONNRESET', 'ConnectionReset', true],
    ['connect ECONNREFUSED 127.0.0.1:443', 'ConnectionRefused', false],
    ['timeout of 30000ms exceeded', 'Timeout', true],
    ['getaddrinfo ENOTFOUND mail.contoso.com', 'HostNotFound', false],
    ['self-signed certificate in certificate chain', 'TlsError', false],
    ['canceled', 'Aborted', true],
    ['something odd', 'Unknown', true],
  ])('network failure "%s" -> %s (unclear on send: %s)', (message, code, unclearOnSend) => {
    expect(toDeliveryError(networkFault(message), 'send')).toMatchObject({
      code,
      unclear: unclearOnSend,
    });
    expect(toDeliveryError(networkFault(message), 'find')).toMatchObject({ code, unclear: false });
    expect(toDeliveryError(networkFault(message), 'send', { dispatched: false }).unclear).toBe(
      false,
    );
  });

  it('copes with non-objects and real Errors', () => {
    expect(toDeliveryError('boom', 'send')).toMatchObject({ code: 'Unknown', unclear: true });
    expect(toDeliveryError(undefined, 'probe')).toMatchObject({ code: 'Unknown', unclear: false });
    expect(toDeliveryError(new Error('socket hang up'), 'send')).toMatchObject({
      code: 'ConnectionReset',
    });
  });

  it('passes a DeliveryError through unchanged', () => {
    const d = new DeliveryError('Timeout', 't', { unclear: true });
    expect(toDeliveryError(d, 'send')).toBe(d);
  });

  it('never keeps the raw thrown value (it can hold the request and its Authorization header)', () => {
    const thrown = {
      ...networkFault('socket hang up'),
      config: { headers: { Authorization: 'Basic c2VjcmV0' }, data: '<t:Body>private</t:Body>' },
    };
    const e = toDeliveryError(thrown, 'send');
    const all = `${e.message} ${JSON.stringify(e.cause)}`;
    expect(all).not.toContain('c2VjcmV0');
    expect(all).not.toContain('private');
  });
});

describe('sanitise', () => {
  it('redacts credentials a server might echo, and keeps one short line', () => {
    const s = sanitise(
      'denied\r\nAuthorization: Bearer eyJhbGciOi.abc.def password=hunter2 token: "t0k3n"',
    );
    expect(s).not.toMatch(/eyJhbGciOi|hunter2|t0k3n|\n/);
    expect(s).toContain('[redacted]');
    expect(sanitise('x'.repeat(1000))).toHaveLength(300);
  });
});
