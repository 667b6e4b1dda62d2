/**
 * The few error classes of imspooler. Each carries a brand so that `isX` guards work across module
 * copies, and a `cause` for the original failure (which may not even be an Error: ews-javascript-api
 * throws plain objects).
 */
const brand = Symbol.for('imspooler.error');

export abstract class ImspoolerError extends Error {
  readonly [brand] = true;
  /** Short PascalCase code, or the EWS response code (e.g. `ErrorServerBusy`). */
  abstract readonly code: string;
}

export const isImspoolerError = (e: unknown): e is ImspoolerError =>
  typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true;

/** One problem found in a configuration: which key, what it was, what is allowed. */
export interface ConfigProblem {
  /** Dotted key path, e.g. `delivery.ews.url`. */
  key: string;
  message: string;
}

/** Invalid configuration (exit code 2). Holds every problem found, not just the first. */
export class ConfigError extends ImspoolerError {
  readonly code = 'InvalidConfig';
  constructor(
    readonly problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(problems.map((p) => `${p.key}: ${p.message}`).join('; '), options);
    this.name = 'ConfigError';
  }
}
export const isConfigError = (e: unknown): e is ConfigError =>
  isImspoolerError(e) && e.code === 'InvalidConfig';

/** Bad command-line usage (exit code 2), e.g. an unknown or ambiguous item ID. */
export class UsageError extends ImspoolerError {
  readonly code = 'BadUsage';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}
export const isUsageError = (e: unknown): e is UsageError =>
  isImspoolerError(e) && e.code === 'BadUsage';

/**
 * An item's content (the spool bytes kept in the queue) is gone: deleted by hand, lost in a crash,
 * or never read (quarantined unread). Such an item can never be delivered, so it is not retried.
 */
export class ContentMissingError extends ImspoolerError {
  readonly code = 'ContentMissing';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContentMissingError';
  }
}
export const isContentMissing = (e: unknown): e is ContentMissingError =>
  isImspoolerError(e) && e.code === 'ContentMissing';

/** How a delivery failure should be treated. See `retry/classify.ts`. */
export type FailureKind = 'transient' | 'permanent' | 'park';

/**
 * A failed request to the mail server, normalised from whatever the EWS library threw.
 * `unclear` is true when the server may have acted on the request (timeout, dropped connection):
 * before sending again the daemon must look for the saved copy.
 */
export class DeliveryError extends ImspoolerError {
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly backOffMs: number | undefined;
  readonly unclear: boolean;
  constructor(
    code: string,
    message: string,
    details: {
      httpStatus?: number | undefined;
      backOffMs?: number | undefined;
      unclear?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'DeliveryError';
    this.code = code;
    this.httpStatus = details.httpStatus;
    this.backOffMs = details.backOffMs;
    this.unclear = details.unclear ?? false;
  }
}
export const isDeliveryError = (e: unknown): e is DeliveryError =>
  isImspoolerError(e) && e instanceof Error && e.name === 'DeliveryError';
