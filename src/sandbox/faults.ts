/**
 * Faults the sandbox can inject, and the pure rules deciding which applies to a request. Every
 * fault may carry `count` (how many requests it applies to; absent = until cleared) and the
 * request-level ones `on` (the EWS operations it applies to; absent = all).
 */

export type EwsOperation = 'CreateItem' | 'FindItem' | 'GetItem' | 'GetFolder';

/** Limits a fault to some requests. */
export interface FaultScope {
  /** How many matching requests the fault applies to; absent = until cleared. */
  count?: number;
  /** Only these operations; absent = every EWS request. */
  on?: EwsOperation[];
}

/** A CreateItem-level error: `ResponseClass="Error"` with this code, HTTP 200. */
export interface ResponseCodeFault {
  code: string;
  /** MessageText; a realistic default per code otherwise. */
  message?: string;
  count?: number;
}

/** What can be switched on (input form: shorthands such as `true` or a bare number allowed). */
export interface FaultConfig {
  /** HTTP 500 `ErrorServerBusy` SOAP fault, with `BackOffMilliseconds` when backOffMs is set. */
  serverBusy?: boolean | ({ backOffMs?: number } & FaultScope);
  /** HTTP 401 with `WWW-Authenticate`, empty body. */
  http401?: boolean | FaultScope;
  /** HTTP 503, empty body. */
  http503?: boolean | FaultScope;
  /** Delay every answer (of any kind) by this many milliseconds. */
  slowMs?: number | ({ ms: number } & FaultScope);
  /** Destroy the socket without doing anything. */
  dropBeforeAccept?: boolean | FaultScope;
  /** CreateItem only: deliver (write the .eml, index the copy), then destroy the socket. */
  dropAfterAccept?: boolean | { count?: number };
  /** CreateItem fails with this code when the message has this recipient (case-insensitive). */
  recipientErrors?: Record<string, string | ResponseCodeFault>;
  /** CreateItem fails with this code (generic ResponseClass Error). */
  responseCode?: string | ResponseCodeFault;
}

/** The normalised form, as `GET /sandbox/faults` shows it. */
export interface ActiveFaults {
  serverBusy?: { backOffMs?: number } & FaultScope;
  http401?: FaultScope;
  http503?: FaultScope;
  slowMs?: { ms: number } & FaultScope;
  dropBeforeAccept?: FaultScope;
  dropAfterAccept?: { count?: number };
  recipientErrors?: Record<string, ResponseCodeFault>;
  responseCode?: ResponseCodeFault;
}

/** What to do with a request before the operation runs. */
export type PreDecision =
  | { action: 'drop' }
  | { action: 'http'; status: 401 | 503 }
  | { action: 'busy'; backOffMs: number | undefined }
  | { action: 'proceed' };

/** Invalid fault configuration (HTTP 400 on `POST /sandbox/faults`). */
export class FaultConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultConfigError';
  }
}

const OPERATIONS: readonly EwsOperation[] = ['CreateItem', 'FindItem', 'GetItem', 'GetFolder'];
const KEYS = new Set([
  'serverBusy', 'http401', 'http503', 'slowMs', 'dropBeforeAccept', 'dropAfterAccept',
  'recipientErrors', 'responseCode',
]); // prettier-ignore

/** Realistic Exchange MessageText for the codes tests and demos use. */
export const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  ErrorInvalidRecipients: "At least one recipient isn't valid.",
  ErrorNonExistentMailbox: 'The SMTP address has no mailbox associated with it.',
  ErrorExceededConnectionCount:
    'You have exceeded the available concurrent connections for your account.  Try again once your other requests have completed.',
  ErrorQuotaExceeded: 'Mailbox has exceeded maximum mailbox size.',
  ErrorSubmissionQuotaExceeded: 'Cannot submit message: the submission quota has been exceeded.',
  ErrorMessageSizeExceeded: 'The message exceeds the maximum supported size.',
  ErrorAccessDenied: 'Access is denied. Check credentials and try again.',
  ErrorSendAsDenied:
    'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.',
  ErrorMailboxStoreUnavailable: 'The mailbox database is temporarily unavailable.',
  ErrorInternalServerTransientError: 'An internal server error occurred. Try again later.',
};

export const messageFor = (code: string): string =>
  DEFAULT_MESSAGES[code] ?? `The request failed with ${code}.`;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function scope(key: string, v: unknown, allowOn = true): FaultScope {
  if (v === true) return {};
  if (!isObject(v)) throw new FaultConfigError(`${key}: expected true or an object`);
  const out: FaultScope = {};
  if (v['count'] !== undefined) {
    const c = v['count'];
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 1) {
      throw new FaultConfigError(`${key}.count: expected a positive integer, got ${String(c)}`);
    }
    out.count = c;
  }
  if (v['on'] !== undefined) {
    const on = v['on'];
    if (!allowOn) {
      // The connection drops after the server acted: only CreateItem acts, so there is no choice.
      throw new FaultConfigError(`${key}.on: not allowed here; ${key} applies to CreateItem only`);
    }
    if (!Array.isArray(on) || !on.every((o) => OPERATIONS.includes(o as EwsOperation))) {
      throw new FaultConfigError(`${key}.on: expected a list of ${OPERATIONS.join(', ')}`);
    }
    out.on = on as EwsOperation[];
  }
  return out;
}

function nonNegative(key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new FaultConfigError(`${key}: expected a number >= 0, got ${String(v)}`);
  }
  return v;
}

function codeFault(key: string, v: unknown): ResponseCodeFault {
  const raw = typeof v === 'string' ? { code: v } : v;
  if (!isObject(raw) || typeof raw['code'] !== 'string' || !/^Error[A-Za-z]+$/.test(raw['code'])) {
    throw new FaultConfigError(`${key}: expected an EWS response code such as ErrorQuotaExceeded`);
  }
  const out: ResponseCodeFault = { code: raw['code'], ...scope(key, { count: raw['count'] }) };
  if (typeof raw['message'] === 'string') out.message = raw['message'];
  return out;
}

/** Validates and normalises a fault configuration (from code, JSON or the CLI). Pure. */
export function normalizeFaults(input: unknown): ActiveFaults {
  if (input === undefined || input === null) return {};
  if (!isObject(input)) throw new FaultConfigError('faults: expected a JSON object');
  for (const k of Object.keys(input)) {
    if (!KEYS.has(k)) throw new FaultConfigError(`faults: unknown fault '${k}'`);
  }
  const out: ActiveFaults = {};
  const on = (k: string): boolean => input[k] !== undefined && input[k] !== false;
  if (on('serverBusy')) {
    const v = input['serverBusy'];
    out.serverBusy = scope('serverBusy', v);
    if (isObject(v) && v['backOffMs'] !== undefined) {
      out.serverBusy.backOffMs = nonNegative('serverBusy.backOffMs', v['backOffMs']);
    }
  }
  if (on('http401')) out.http401 = scope('http401', input['http401']);
  if (on('http503')) out.http503 = scope('http503', input['http503']);
  if (on('dropBeforeAccept')) out.dropBeforeAccept = scope('dropBeforeAccept', input['dropBeforeAccept']); // prettier-ignore
  if (on('dropAfterAccept')) out.dropAfterAccept = scope('dropAfterAccept', input['dropAfterAccept'], false); // prettier-ignore
  if (on('slowMs')) {
    const v = input['slowMs'];
    out.slowMs = isObject(v)
      ? { ...scope('slowMs', v), ms: nonNegative('slowMs.ms', v['ms']) }
      : { ms: nonNegative('slowMs', v) };
  }
  if (on('responseCode')) out.responseCode = codeFault('responseCode', input['responseCode']);
  if (on('recipientErrors')) {
    const v = input['recipientErrors'];
    if (!isObject(v)) throw new FaultConfigError('recipientErrors: expected { address: code }');
    out.recipientErrors = {};
    for (const [addr, f] of Object.entries(v)) {
      out.recipientErrors[addr.toLowerCase()] = codeFault(`recipientErrors.${addr}`, f);
    }
  }
  return out;
}

const applies = (f: FaultScope | undefined, op: EwsOperation | undefined): boolean =>
  f !== undefined && (f.on === undefined || (op !== undefined && f.on.includes(op)));

/** One use of a counted fault: undefined once used up. */
function consume<T extends { count?: number }>(f: T): T | undefined {
  if (f.count === undefined) return f;
  return f.count <= 1 ? undefined : { ...f, count: f.count - 1 };
}

function withFault<K extends keyof ActiveFaults>(
  state: ActiveFaults,
  key: K,
  value: ActiveFaults[K] | undefined,
): ActiveFaults {
  const next = { ...state };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
}

/**
 * Decides what happens to an EWS request before its operation runs (op undefined: the request
 * could not be parsed). Precedence: drop, 401, 503, server busy. `slowMs` adds a delay to
 * whatever follows. Returns the state with used counts taken off. Pure.
 */
export function decideBefore(
  state: ActiveFaults,
  op: EwsOperation | undefined,
): { decision: PreDecision; delayMs: number; next: ActiveFaults } {
  let next = state;
  let delayMs = 0;
  if (state.slowMs && applies(state.slowMs, op)) {
    delayMs = state.slowMs.ms;
    next = withFault(next, 'slowMs', consume(state.slowMs));
  }
  const take = <K extends 'dropBeforeAccept' | 'http401' | 'http503' | 'serverBusy'>(k: K) => {
    const f = state[k];
    if (!f || !applies(f, op)) return false;
    next = withFault(next, k, consume(f) as ActiveFaults[K]);
    return true;
  };
  let decision: PreDecision = { action: 'proceed' };
  if (take('dropBeforeAccept')) decision = { action: 'drop' };
  else if (take('http401')) decision = { action: 'http', status: 401 };
  else if (take('http503')) decision = { action: 'http', status: 503 };
  else if (take('serverBusy'))
    decision = { action: 'busy', backOffMs: state.serverBusy?.backOffMs };
  return { decision, delayMs, next };
}

/**
 * Decides whether one CreateItem message fails: the generic response code first, then the first
 * recipient (To, Cc, Bcc order) with an error. Pure.
 */
export function decideCreate(
  state: ActiveFaults,
  recipients: readonly string[],
): { error: { code: string; message: string } | undefined; next: ActiveFaults } {
  if (state.responseCode) {
    const f = state.responseCode;
    const next = withFault(state, 'responseCode', consume(f));
    return { error: { code: f.code, message: f.message ?? messageFor(f.code) }, next };
  }
  for (const r of recipients) {
    const key = r.toLowerCase();
    const f = state.recipientErrors?.[key];
    if (!f) continue;
    const rest = { ...state.recipientErrors };
    const used = consume(f);
    if (used) rest[key] = used;
    else delete rest[key];
    const next = withFault(state, 'recipientErrors', Object.keys(rest).length ? rest : undefined);
    return { error: { code: f.code, message: f.message ?? messageFor(f.code) }, next };
  }
  return { error: undefined, next: state };
}

/** After a CreateItem was performed: drop the connection instead of answering? Pure. */
export function decideAfterCreate(state: ActiveFaults): { drop: boolean; next: ActiveFaults } {
  if (!state.dropAfterAccept) return { drop: false, next: state };
  return { drop: true, next: withFault(state, 'dropAfterAccept', consume(state.dropAfterAccept)) };
}

/** Runtime switchboard over the pure rules; shared by the handle and `/sandbox/faults`. */
export class FaultController {
  private state: ActiveFaults;

  constructor(initial?: FaultConfig) {
    this.state = normalizeFaults(initial);
  }

  /** Replaces every active fault. Throws FaultConfigError on invalid input. */
  set(config: FaultConfig): void {
    this.state = normalizeFaults(config);
  }

  clear(): void {
    this.state = {};
  }

  /** The faults still active (used-up counted faults are gone). */
  get(): ActiveFaults {
    return structuredClone(this.state);
  }

  /** @internal */
  before(op: EwsOperation | undefined): { decision: PreDecision; delayMs: number } {
    const { next, ...rest } = decideBefore(this.state, op);
    this.state = next;
    return rest;
  }

  /** @internal */
  create(recipients: readonly string[]): { code: string; message: string } | undefined {
    const { next, error } = decideCreate(this.state, recipients);
    this.state = next;
    return error;
  }

  /** @internal */
  afterCreate(): boolean {
    const { next, drop } = decideAfterCreate(this.state);
    this.state = next;
    return drop;
  }
}
