/** When `/healthz` turns degraded. Durations in milliseconds (config `metrics.degradedAfter`). */
export interface HealthThresholds {
  /** EWS has failed every attempt (no success in between) for at least this long. */
  ewsFailingMs: number;
  /** The oldest item still awaiting delivery was first seen at least this long ago. */
  oldestItemMs: number;
  /** Free space on the state folder's file system is below this fraction (0..1) of its size. */
  diskFreeRatio: number;
}

/** Defaults of `metrics.degradedAfter`: 10 minutes, 1 hour, 5 % free. */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  ewsFailingMs: 10 * 60_000,
  oldestItemMs: 60 * 60_000,
  diskFreeRatio: 0.05,
};

/** A spool folder that cannot be watched or read, with a short reason (`EACCES`, `ENOENT`...). */
export interface FolderProblem {
  folder: string;
  problem: string;
}

/** Something else that keeps the daemon from its job (daemon/problems.ts), in an operator's words. */
export interface HealthProblem {
  subject: string;
  code: string;
  message: string;
  since: string;
}

/** Everything `evaluateHealth` looks at; times are milliseconds since the epoch. */
export interface HealthInput {
  now: number;
  lastDeliverySuccessAt?: number | undefined;
  /** Set by the first EWS failure after a success (or since start); cleared by any success. */
  ewsFailingSince?: number | undefined;
  /** `firstSeenAt` of the oldest item in `incoming`, `active` or `deferred`. */
  oldestItemFirstSeenAt?: number | undefined;
  folderProblems: readonly FolderProblem[];
  /** Nothing to watch, files that cannot be taken, a state folder that cannot be written. */
  problems?: readonly HealthProblem[];
  /** The queue database failed its last commit (`SQLITE_FULL`, `SQLITE_IOERR`...), since when. */
  storageProblem?: { code: string; since: number };
  diskFreeBytes?: number;
  diskTotalBytes?: number;
  thresholds: HealthThresholds;
}

type CheckStatus = 'ok' | 'degraded' | 'unknown';

/** The `/healthz` document. `reasons` is empty exactly when `status` is `ok`. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  reasons: string[];
  checks: {
    ews: { status: CheckStatus; failingSince?: string; lastSuccessAt?: string };
    oldestItem: { status: CheckStatus; ageSeconds?: number };
    spoolFolders: { status: CheckStatus; problems: FolderProblem[] };
    intake: { status: CheckStatus; problems: HealthProblem[] };
    disk: { status: CheckStatus; freeBytes?: number; totalBytes?: number; freeRatio?: number };
    queueDatabase: { status: CheckStatus; problem?: string; since?: string };
  };
}

/** Pure: decides ok or degraded, and says why in words an operator can act on. */
export function evaluateHealth(input: HealthInput): HealthReport {
  const { now, thresholds: t } = input;
  const reasons: string[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();

  let ews: CheckStatus = 'ok';
  if (input.ewsFailingSince !== undefined) {
    const failingMs = now - input.ewsFailingSince;
    if (failingMs >= t.ewsFailingMs) {
      ews = 'degraded';
      reasons.push(`EWS failing for ${minutes(failingMs)} (since ${iso(input.ewsFailingSince)})`);
    }
  }

  let oldest: CheckStatus = 'ok';
  let ageSeconds: number | undefined;
  if (input.oldestItemFirstSeenAt !== undefined) {
    const ageMs = Math.max(0, now - input.oldestItemFirstSeenAt);
    ageSeconds = Math.round(ageMs / 1000);
    if (ageMs >= t.oldestItemMs) {
      oldest = 'degraded';
      reasons.push(
        `oldest item waiting for ${minutes(ageMs)} (threshold ${minutes(t.oldestItemMs)})`,
      );
    }
  }

  const problems = [...input.folderProblems];
  for (const p of problems) reasons.push(`spool folder unreadable: ${p.folder} (${p.problem})`);
  const intake = [...(input.problems ?? [])];
  for (const p of intake) reasons.push(p.message);

  const storage = input.storageProblem;
  if (storage) {
    reasons.push(
      `the queue database cannot be written: ${storage.code} (since ${iso(storage.since)}); new files wait in the spool folder`,
    );
  }

  let disk: CheckStatus = 'unknown';
  let freeRatio: number | undefined;
  if (input.diskFreeBytes !== undefined && input.diskTotalBytes) {
    freeRatio = input.diskFreeBytes / input.diskTotalBytes;
    disk = freeRatio < t.diskFreeRatio ? 'degraded' : 'ok';
    if (disk === 'degraded') {
      reasons.push(
        `disk nearly full: ${(freeRatio * 100).toFixed(1)}% free (threshold ${(t.diskFreeRatio * 100).toFixed(1)}%)`,
      );
    }
  }

  return {
    status: reasons.length === 0 ? 'ok' : 'degraded',
    reasons,
    checks: {
      ews: {
        status: ews,
        ...(input.ewsFailingSince !== undefined
          ? { failingSince: iso(input.ewsFailingSince) }
          : {}),
        ...(input.lastDeliverySuccessAt !== undefined
          ? { lastSuccessAt: iso(input.lastDeliverySuccessAt) }
          : {}),
      },
      oldestItem: { status: oldest, ...(ageSeconds !== undefined ? { ageSeconds } : {}) },
      spoolFolders: { status: problems.length > 0 ? 'degraded' : 'ok', problems },
      intake: { status: intake.length > 0 ? 'degraded' : 'ok', problems: intake },
      disk: {
        status: disk,
        ...(input.diskFreeBytes !== undefined ? { freeBytes: input.diskFreeBytes } : {}),
        ...(input.diskTotalBytes !== undefined ? { totalBytes: input.diskTotalBytes } : {}),
        ...(freeRatio !== undefined ? { freeRatio: Number(freeRatio.toFixed(4)) } : {}),
      },
      queueDatabase: storage
        ? { status: 'degraded', problem: storage.code, since: iso(storage.since) as string }
        : { status: 'ok' },
    },
  };
}

function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return m >= 1 ? `${m} min` : `${Math.floor(ms / 1000)} s`;
}

/**
 * Whether an error code means the mail server (or the way to it) is failing, as opposed to one
 * item's own problem (a bad recipient fails that item while the server is fine).
 */
export function isServerFailureCode(code: string): boolean {
  if (ITEM_SPECIFIC.has(code)) return false;
  return /^(Error\w+|Http\d{3}|Timeout|ConnectionRefused|ConnectionReset|HostNotFound|TlsError|Unknown)$/.test(
    code,
  );
}

const ITEM_SPECIFIC = new Set([
  'ErrorInvalidRecipients',
  'ErrorNonExistentMailbox',
  'ErrorMessageSizeExceeded',
  'ErrorInvalidExtendedPropertyValue',
  'ErrorSchemaValidation',
  'ErrorQuotaExceeded',
]);
