import type { DeliveryError, FailureKind } from '../errors/errors.js';

/** How to treat one failed request. Pure data: the daemon decides the schedule. */
export interface Classification {
  kind: FailureKind;
  /** Short human reason, for logs and `status`. */
  reason: string;
  /** The server asked for this pause (`BackOffMilliseconds`): pause every delivery to it. */
  backOffMs?: number;
  /** The server counts too many connections from us: send fewer at once. */
  lowerConcurrency?: boolean;
}

type Rule = { kind: FailureKind; reason: string; lowerConcurrency?: boolean };

const transient = (reason: string, lowerConcurrency = false): Rule =>
  lowerConcurrency
    ? { kind: 'transient', reason, lowerConcurrency }
    : { kind: 'transient', reason };
const permanent = (reason: string): Rule => ({ kind: 'permanent', reason });
const park = (reason: string): Rule => ({ kind: 'park', reason });

/**
 * Known codes. EWS response codes as DOMAIN.md lists them; the others are the transport's own
 * (see `delivery/ews-errors.ts`).
 */
const RULES: Readonly<Record<string, Rule>> = {
  // EWS: the server or the mailbox is busy, moving or failing over.
  ErrorServerBusy: transient('server busy (throttled)'),
  ErrorInternalServerTransientError: transient('transient server error'),
  ErrorMailboxStoreUnavailable: transient('mailbox store unavailable'),
  ErrorMailboxMoveInProgress: transient('mailbox move in progress'),
  ErrorMailboxFailover: transient('mailbox failover in progress'),
  ErrorConnectionFailed: transient('server could not reach the mailbox'),
  ErrorTimeoutExpired: transient('server-side timeout'),
  ErrorTooManyObjectsOpened: transient('too many objects open on the server'),
  ErrorExceededConnectionCount: transient('too many concurrent connections', true),
  // EWS: this item can never go through as it is; keep it for a person.
  ErrorInvalidRecipients: permanent('invalid recipients'),
  ErrorAccessDenied: permanent('access denied'),
  ErrorSendAsDenied: permanent('not allowed to send as the sender'),
  ErrorMessageSizeExceeded: permanent('message too large'),
  ErrorSchemaValidation: permanent('request rejected by schema validation'),
  ErrorNonExistentMailbox: permanent('mailbox does not exist'),
  ErrorAccountDisabled: permanent('account disabled'),
  ErrorInvalidExtendedPropertyValue: permanent('invalid extended property value'),
  // EWS: only a person or a long wait helps; hammering makes it worse.
  ErrorQuotaExceeded: park('mailbox quota exceeded'),
  ErrorSubmissionQuotaExceeded: park('submission quota exceeded'),
  // Transport codes.
  Http401: transient('authentication failed (check credentials)'),
  // NTLM handshake completed and the answer was refused: the password is wrong, retrying cannot help.
  AuthenticationFailed: permanent('credentials refused (check user name, domain and password)'),
  Http408: transient('HTTP 408 request timeout'),
  Http429: transient('HTTP 429 too many requests', true),
  Http500: transient('HTTP 500 without an EWS answer'),
  Http502: transient('HTTP 502 bad gateway'),
  Http503: transient('HTTP 503 service unavailable'),
  Http504: transient('HTTP 504 gateway timeout'),
  ConnectionRefused: transient('connection refused'),
  ConnectionReset: transient('connection lost'),
  HostNotFound: transient('server name not found (check delivery.ews.url and DNS)'),
  TlsError: transient('TLS certificate rejected (check the server certificate and CA)'),
  Timeout: transient('no answer in time'),
  Aborted: transient('abandoned (shutdown)'),
  TokenUnavailable: transient('could not obtain an OAuth token'),
  TransportClosed: transient('transport closed (shutdown)'),
  // Opening the transport on first use failed (delivery/open/lazy-transport.ts): a secret that cannot be
  // read yet, a sandbox port in use. Retried like any delivery until retry.maxAge.
  TransportUnavailable: transient('the mail transport could not be opened'),
};

/**
 * Classifies a delivery failure. Pure; the daemon combines it with attempts and `retry.maxAge`.
 *
 * Choices beyond DOMAIN.md's lists:
 * - HTTP 401 is `transient`: usually bad credentials, but some Exchange front ends answer 401 under
 *   load. Retrying with backoff costs little, and `retry.maxAge` ends it; the reason tells the
 *   operator to check the credentials. (The OAuth transport fetches a fresh token after a 401.)
 * - Configuration-shaped failures (404, unknown host, TLS) are `transient` for the same reason:
 *   they hit every item alike, and once the operator fixes the config nothing has to be retried
 *   by hand. Other 4xx statuses are `permanent`: the request itself was refused.
 * - Unknown EWS codes (`Error...` not listed) and unrecognised failures are `transient`: a new or
 *   rare server code must not drop or strand a message; backoff keeps it from hammering, and
 *   `retry.maxAge` bounds it.
 * - A server `BackOffMilliseconds` is passed on whatever the code.
 */
export function classify(err: DeliveryError): Classification {
  const rule = RULES[err.code] ?? fallback(err);
  const out: Classification = { kind: rule.kind, reason: rule.reason };
  if (err.backOffMs !== undefined && Number.isFinite(err.backOffMs) && err.backOffMs > 0) {
    out.backOffMs = err.backOffMs;
  }
  if (rule.lowerConcurrency) out.lowerConcurrency = true;
  return out;
}

function fallback(err: DeliveryError): Rule {
  const http = /^Http(\d{3})$/.exec(err.code);
  const status = http ? Number(http[1]) : err.httpStatus;
  if (http && status !== undefined) {
    if (status === 404) return transient('HTTP 404 (check delivery.ews.url)');
    if (status >= 500) return transient(`HTTP ${status} server error`);
    if (status >= 400) return permanent(`HTTP ${status} request refused`);
    return transient(`unexpected HTTP ${status}`);
  }
  if (err.code.startsWith('Error')) {
    return transient(`unrecognised EWS error ${err.code} (retried with backoff)`);
  }
  return transient(`unrecognised failure ${err.code} (retried with backoff)`);
}
