import { ServiceError } from 'ews-javascript-api';
import { DeliveryError, isDeliveryError } from '../errors/errors.js';

/** Which call failed: only a `send` can leave the outcome unclear. */
export type EwsPhase = 'send' | 'find' | 'probe';

/** What the transport knows beyond the thrown value. */
export interface ErrorHints {
  /**
   * The response code as the server wrote it (`<ResponseCode>`), when the library could not map it
   * to its enum (it then reports `ErrorInternalServerError` or nothing).
   */
  responseCode?: string | undefined;
  /** Whether the request was handed to the HTTP client; when false nothing can have been sent. */
  dispatched?: boolean;
  /**
   * The request authenticated with NTLM. @ewsjs/xhr sends the request itself only after the
   * type 1/type 2 legs succeeded, so a 401 to it means the type 3 answer was refused: the
   * credentials are wrong, not the server busy.
   */
  ntlm?: boolean;
  /**
   * Who signs in and where the secret comes from, never the secret itself (`user CONTOSO\alice,
   * password from the environment variable IMSPOOLER_EWS_PASSWORD`): a 401 names them, so the
   * person reading it knows which account to check and where.
   */
  signIn?: string;
}

const GENERIC = ServiceError.ErrorInternalServerError;
const MAX_MESSAGE = 300;

/**
 * Turns whatever ews-javascript-api (or axios below it) threw into a `DeliveryError`. The library
 * throws plain objects, not `Error`s: `ServiceResponseException` (response-level error, `ErrorCode`
 * numeric), `SoapFaultDetails` (SOAP fault or HTTP/network failure: `ResponseCode`,
 * `HttpStatusCode`, `ErrorDetails` with `BackOffMilliseconds` as a string, `message`).
 *
 * `unclear` is true only for a `send` whose request may have reached the server without an answer
 * coming back (timeout, dropped connection, gateway errors, anything unrecognised).
 *
 * The message is built from the server's or the socket's own text, with credentials patterns
 * redacted; the raw value is not kept as `cause` because it can hold the request (body and
 * Authorization header).
 */
export function toDeliveryError(
  thrown: unknown,
  phase: EwsPhase,
  hints: ErrorHints = {},
): DeliveryError {
  if (isDeliveryError(thrown)) return thrown;
  const mayBeUnclear = phase === 'send' && hints.dispatched !== false;
  const o = asRecord(thrown);
  if (!o) {
    return new DeliveryError('Unknown', `EWS call failed: ${sanitise(String(thrown))}`, {
      unclear: mayBeUnclear,
    });
  }
  const message = sanitise(stringOf(o.message) ?? '');
  const response = asRecord(o.response);
  const httpStatus = numberOf(o.HttpStatusCode) ?? numberOf(o.status);
  const backOffMs =
    backOffOf(o.errorDetails ?? o.ErrorDetails) ?? backOffOf(response?.ErrorDetails);
  const cause = { type: typeNameOf(o), httpStatus };

  // A response message with an error: the server answered clearly.
  if (response && 'ErrorCode' in response) {
    const code = ewsCodeName(numberOf(response.ErrorCode), hints.responseCode);
    const text = sanitise(stringOf(response.ErrorMessage) ?? '') || message;
    return new DeliveryError(code, withText(code, text), { backOffMs, httpStatus, cause });
  }

  // A SOAP fault (HTTP 500 with a parsed body).
  const faultCode = stringOf(o.faultCode ?? o.FaultCode);
  if (faultCode !== undefined) {
    const fromFault = /(Error\w+)$/.exec(faultCode)?.[1];
    const mapped = numberOf(o.responseCode ?? o.ResponseCode);
    const code =
      mapped !== undefined && mapped !== GENERIC
        ? ewsCodeName(mapped, hints.responseCode)
        : (hints.responseCode ?? fromFault ?? ewsCodeName(mapped, undefined));
    return new DeliveryError(code, withText(code, message), { backOffMs, httpStatus, cause });
  }

  if (httpStatus === 401 && hints.ntlm) {
    const text = hints.signIn
      ? `the server refused the NTLM credentials of ${hints.signIn} (check user name, domain and password)`
      : 'the server refused the NTLM credentials (check user name, domain and password)';
    return new DeliveryError('AuthenticationFailed', `HTTP 401: ${text}`, { httpStatus, cause });
  }
  if (httpStatus === 401 && hints.signIn) {
    const text = `HTTP 401 Unauthorized: the server refused ${hints.signIn}`;
    return new DeliveryError('Http401', text, { httpStatus, backOffMs, cause });
  }
  if (httpStatus !== undefined) {
    const code = `Http${httpStatus}`;
    // A gateway or a crashed server may have acted on the request before failing; 503 means the
    // request was turned away before anything happened.
    const unclear = mayBeUnclear && [500, 502, 504].includes(httpStatus);
    const text = message || HTTP_TEXT[httpStatus] || 'no message';
    return new DeliveryError(code, `HTTP ${httpStatus}: ${text}`, {
      httpStatus,
      backOffMs,
      unclear,
      cause,
    });
  }

  const net = networkCode(message);
  if (net) {
    const unclear = mayBeUnclear && net.unclear;
    return new DeliveryError(net.code, `${net.text}: ${message}`, { unclear, cause });
  }
  return new DeliveryError('Unknown', `EWS call failed: ${message || typeNameOf(o)}`, {
    unclear: mayBeUnclear,
    cause,
  });
}

const HTTP_TEXT: Record<number, string> = {
  401: 'Unauthorized (authentication failed)',
  403: 'Forbidden',
  404: 'Not Found (check delivery.ews.url)',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Failures below HTTP, recognised by the socket's or axios's message. */
function networkCode(
  message: string,
): { code: string; text: string; unclear: boolean } | undefined {
  if (/timeout of \d+ms exceeded|ETIMEDOUT|ESOCKETTIMEDOUT/i.test(message)) {
    return { code: 'Timeout', text: 'no answer in time', unclear: true };
  }
  if (/ECONNREFUSED/.test(message)) {
    return { code: 'ConnectionRefused', text: 'connection refused', unclear: false };
  }
  if (/socket hang up|ECONNRESET|EPIPE|ECONNABORTED/i.test(message)) {
    return { code: 'ConnectionReset', text: 'connection lost', unclear: true };
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) {
    return { code: 'HostNotFound', text: 'server name not found', unclear: false };
  }
  if (/certificate|CERT_|self[- ]signed|UNABLE_TO_VERIFY|SSL|TLS/i.test(message)) {
    return { code: 'TlsError', text: 'TLS handshake failed', unclear: false };
  }
  if (/^(canceled|aborted)$|AbortError/i.test(message)) {
    return { code: 'Aborted', text: 'request abandoned', unclear: true };
  }
  return undefined;
}

/** The enum name of a library error code; a server-written code wins when the enum had none. */
function ewsCodeName(n: number | undefined, raw: string | undefined): string {
  const name = n === undefined ? undefined : (ServiceError as unknown as Record<number, string>)[n];
  if (name !== undefined && (n !== GENERIC || raw === undefined)) return name;
  return raw ?? 'ErrorUnknown';
}

/**
 * The message of an error the server named: its own words. The code travels beside it
 * (`error.code`, `lastError.code`) and every reader prints the two together, so repeating the code
 * here would show as "ErrorServerBusy: ErrorServerBusy: ..." in `show` and in CLI errors.
 */
function withText(code: string, text: string): string {
  return text || `the server answered ${code} without a message`;
}

function backOffOf(details: unknown): number | undefined {
  const d = asRecord(details);
  if (!d) return undefined;
  // The library's Dictionary keeps values in `objects`; accept a plain object too.
  const objects = asRecord(d.objects) ?? d;
  const raw = objects.BackOffMilliseconds;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}
function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function numberOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function typeNameOf(o: Record<string, unknown>): string {
  const ctor = (o as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== 'Object' ? ctor.name : 'object';
}

/**
 * Keeps a message to one short line and removes anything shaped like a credential, in case a
 * server or proxy echoes request headers back.
 */
export function sanitise(text: string): string {
  return text
    .replace(/\b(Bearer|Basic|NTLM|Negotiate)\s+[A-Za-z0-9._~+/=-]{4,}/gi, '$1 [redacted]')
    .replace(
      /\b(authorization|password|passwd|pwd|token|access_token)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi,
      '$1$2[redacted]',
    )
    .replace(/[\r\n\t]+/g, ' ')
    .trim()
    .slice(0, MAX_MESSAGE);
}
