/**
 * Graph failures as `DeliveryError`s, classified like EWS's (retry/classify.ts): 429 is `Http429`
 * (throttled; fewer requests at once), 503 and 504 are `Http503`/`Http504`, each with the server's
 * `Retry-After` as `backOffMs` so the daemon pauses every delivery. Exchange codes that Graph
 * passes through for mail (`ErrorInvalidRecipients`, `ErrorQuotaExceeded`, ...) keep their names,
 * so the same rules apply as over EWS.
 */
import { DeliveryError } from '../errors/errors.js';
import { sanitise } from '../delivery/ews-errors.js';
import { isPlainObject } from '../platform/json-shape.js';

/** Which call failed: only a `send` can leave the outcome unclear. */
export type GraphPhase = 'send' | 'find' | 'probe';

const THROTTLE = new Set([429, 503, 504]);

/**
 * `Retry-After` in ms: delay-seconds or an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Graph's `{ error: { code, message } }`, leniently. */
function errorBody(text: string): { code?: string; message?: string } {
  try {
    const body: unknown = JSON.parse(text);
    const e = isPlainObject(body) ? body.error : undefined;
    if (isPlainObject(e)) {
      const o = e as Record<string, unknown>;
      return {
        ...(typeof o['code'] === 'string' ? { code: o['code'] } : {}),
        ...(typeof o['message'] === 'string' ? { message: o['message'] } : {}),
      };
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): the status speaks for itself.
  }
  return {};
}

/** An HTTP answer that was not a success. */
export function fromHttp(
  status: number,
  bodyText: string,
  retryAfter: string | null,
  phase: GraphPhase,
  nowMs: number,
): DeliveryError {
  const { code: graphCode, message } = errorBody(bodyText);
  const backOffMs = retryAfterMs(retryAfter, nowMs);
  const exchangeCode = graphCode && /^Error[A-Za-z]+$/.test(graphCode) ? graphCode : undefined;
  // Throttling is recognised by its status whatever the body says; otherwise an Exchange code
  // beats the status, as over EWS.
  const code = status === 429 ? 'Http429' : (exchangeCode ?? `Http${status}`);
  // 504: the gateway gave up waiting, the mailbox server may still have sent it. 500/502 without
  // an Exchange code: same doubt. 429 and 503 turn the request away before anything happens.
  const unclear =
    phase === 'send' && (status === 504 || ([500, 502].includes(status) && !exchangeCode));
  const text = sanitise([graphCode, message].filter(Boolean).join(': ')) || `HTTP ${status}`;
  return new DeliveryError(code, `Graph ${phase}: HTTP ${status} ${text}`, {
    httpStatus: status,
    unclear,
    ...(backOffMs !== undefined && (THROTTLE.has(status) || backOffMs > 0) ? { backOffMs } : {}),
  });
}

/** A failure below HTTP (fetch's `TypeError: fetch failed` with a socket `cause`, or an abort). */
export function fromNetwork(
  thrown: unknown,
  phase: GraphPhase,
  why: 'timeout' | 'aborted' | undefined,
): DeliveryError {
  const mayBeUnclear = phase === 'send';
  if (why === 'timeout') {
    return new DeliveryError('Timeout', `Graph ${phase}: no answer in time`, { unclear: mayBeUnclear }); // prettier-ignore
  }
  if (why === 'aborted') {
    return new DeliveryError('Aborted', `Graph ${phase} abandoned`, { unclear: mayBeUnclear });
  }
  const cause = (thrown as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  const detail = sanitise(String(cause?.message ?? (thrown instanceof Error ? thrown.message : thrown))); // prettier-ignore
  if (code === 'ECONNREFUSED') {
    return new DeliveryError('ConnectionRefused', `Graph ${phase}: connection refused: ${detail}`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new DeliveryError('HostNotFound', `Graph ${phase}: server name not found: ${detail}`);
  }
  if (/CERT|SSL|TLS|SELF_SIGNED/i.test(code)) {
    return new DeliveryError('TlsError', `Graph ${phase}: TLS handshake failed: ${detail}`);
  }
  if (
    /ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED/.test(code) ||
    /other side closed|socket hang up/i.test(detail)
  ) {
    // prettier-ignore
    return new DeliveryError('ConnectionReset', `Graph ${phase}: connection lost: ${detail}`, { unclear: mayBeUnclear }); // prettier-ignore
  }
  return new DeliveryError('Unknown', `Graph ${phase} failed: ${detail || code}`, { unclear: mayBeUnclear }); // prettier-ignore
}
