import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../clock.js';
import type { EventAction, EventFields, EventOutcome } from '../log/event-log.js';
import type { ItemState } from '../queue/item-meta.js';
import { ITEM_STATES } from '../queue/item-meta.js';
import type { FolderProblem, HealthInput, HealthProblem } from './health.js';
import { isServerFailureCode } from './health.js';

/** Queue counts as `status` shows them: every queue state plus files still in their grace period. */
export type QueueStats = Partial<Record<ItemState | 'grace', number>>;

/** Reads the queue as it is now: counts and the `firstSeenAt` (ms) of the oldest waiting item. */
export type QueueSource = () => Promise<{
  stats: QueueStats;
  oldestFirstSeenAt?: number | undefined;
}>;

/** The daemon's metrics: one private registry, fed from outcome events and queue snapshots. */
export interface Metrics {
  /** Private registry (never prom-client's global one), so two daemons in one test do not mix. */
  readonly registry: Registry;
  /** Feed every outcome event here (see `withMetrics`). */
  observeEvent(action: EventAction, outcome: EventOutcome, fields?: EventFields): void;
  /** Latest queue counts and the `firstSeenAt` (ms) of the oldest item awaiting delivery. */
  setQueueStats(stats: QueueStats, oldestItemFirstSeenAt?: number): void;
  /**
   * Where the queue gauges read the queue at every scrape, so `imspooler_items` changes when an
   * item's state does (a delete, a hold), not at the next periodic `setQueueStats`.
   */
  setQueueSource(source: QueueSource): void;
  /** A server back-off pauses every delivery until this time (ms since the epoch); 0 clears it. */
  setServerBackoff(untilMs: number): void;
  /** A spool folder became unreadable (`problem`), or readable again (`undefined`). */
  noteFolderProblem(folder: string, problem: string | undefined): void;
  /** The daemon's open problems other than unreadable folders (see daemon/problems.ts). */
  setProblems(problems: readonly HealthProblem[]): void;
  /** A commit of the queue database failed (`SQLITE_FULL`...), or one succeeded (`undefined`). */
  noteStorageProblem(code: string | undefined): void;
  /** What the health check needs from the observed events, without `now`, disk or thresholds. */
  healthState(): Omit<HealthInput, 'now' | 'thresholds' | 'diskFreeBytes' | 'diskTotalBytes'>;
}

/** Options of `makeMetrics`. */
export interface MetricsOptions {
  clock: Clock;
  /** Add Node's process metrics (`imspooler_process_*`, `imspooler_nodejs_*`); default true. */
  processMetrics?: boolean;
}

const PREFIX = 'imspooler_';
const DELIVERY_OUTCOME: Partial<Record<EventAction, string>> = {
  'delivery.succeeded': 'succeeded',
  'delivery.deferred': 'deferred',
  'delivery.failed': 'failed',
  'item.expired': 'expired',
};

/** Builds the metrics registry and the feeding functions. */
export function makeMetrics(opts: MetricsOptions): Metrics {
  const { clock } = opts;
  const registry = new Registry();
  const registers = [registry];
  if (opts.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: PREFIX });
    // Gauges named `_total` fail `promtool check metrics`; the same counts are in process_* anyway.
    for (const name of [
      'active_handles_total',
      'active_requests_total',
      'active_resources_total',
    ]) {
      registry.removeSingleMetric(`${PREFIX}nodejs_${name}`);
    }
  }

  let counts: QueueStats = {};
  let oldestFirstSeenAt: number | undefined;
  let source: QueueSource | undefined;
  // One read of the queue per scrape, shared by the gauges that need it.
  let reading: Promise<void> | undefined;
  const refresh = (): Promise<void> =>
    source === undefined
      ? Promise.resolve()
      : (reading ??= source()
          .then((r) => {
            counts = { ...r.stats };
            oldestFirstSeenAt = r.oldestFirstSeenAt;
          })
          // Unreadable just now (a disk error): the last counts stand; the log says what failed.
          .catch(() => undefined)
          .finally(() => (reading = undefined)));
  let backoffUntil = 0;
  let ewsFailingSince: number | undefined;
  let lastSuccessAt: number | undefined;
  const folderProblems = new Map<string, string>();
  let problems: HealthProblem[] = [];
  let storageProblem: { code: string; since: number } | undefined;

  new Gauge({
    name: `${PREFIX}items`,
    help: 'Items by queue state (grace: files still waiting out their grace period).',
    labelNames: ['state'],
    registers,
    async collect() {
      await refresh();
      for (const state of ['grace', ...ITEM_STATES] as const)
        this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: `${PREFIX}oldest_item_age_seconds`,
    help: 'Age of the oldest item awaiting delivery (incoming, active, deferred); 0 when none.',
    registers,
    async collect() {
      await refresh();
      const age = oldestFirstSeenAt === undefined ? 0 : (clock.now() - oldestFirstSeenAt) / 1000;
      this.set(Math.max(0, age));
    },
  });
  const deliveries = new Counter({
    name: `${PREFIX}deliveries_total`,
    help: 'Delivery attempts by outcome (parked: held after a failure that needs a person).',
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of ['succeeded', 'deferred', 'failed', 'expired', 'parked']) {
    deliveries.inc({ outcome }, 0);
  }
  const durations = new Histogram({
    name: `${PREFIX}attempt_duration_seconds`,
    help: 'Duration of delivery attempts, from claim to outcome.',
    labelNames: ['outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const ewsErrors = new Counter({
    name: `${PREFIX}ews_errors_total`,
    help: 'Failed delivery attempts by error code (EWS response code or a short reason).',
    labelNames: ['code'],
    registers,
  });
  const quarantined = new Counter({
    name: `${PREFIX}items_quarantined_total`,
    help: 'Spool files moved to the quarantine, by reason.',
    labelNames: ['code'],
    registers,
  });
  const claimed = new Counter({
    name: `${PREFIX}items_claimed_total`,
    help: 'Spool files claimed into the queue.',
    registers,
  });
  new Gauge({
    name: `${PREFIX}server_backoff_active`,
    help: '1 while a server back-off (BackOffMilliseconds) pauses every delivery, else 0.',
    registers,
    collect() {
      this.set(backoffUntil > clock.now() ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}server_backoff_until_seconds`,
    help: 'End of the current server back-off, seconds since the epoch; 0 when none.',
    registers,
    collect() {
      this.set(backoffUntil > clock.now() ? backoffUntil / 1000 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}ews_failing_seconds`,
    help: 'How long every EWS attempt has failed (no success since); 0 when not failing.',
    registers,
    collect() {
      this.set(
        ewsFailingSince === undefined ? 0 : Math.max(0, clock.now() - ewsFailingSince) / 1000,
      );
    },
  });
  new Gauge({
    name: `${PREFIX}spool_folders_unreadable`,
    help: 'Spool folders that cannot be read or watched.',
    registers,
    collect() {
      this.set(folderProblems.size);
    },
  });

  return {
    registry,
    observeEvent(action, outcome, fields = {}) {
      const delivery =
        DELIVERY_OUTCOME[action] ?? (isParked(action, fields) ? 'parked' : undefined);
      if (delivery !== undefined) {
        deliveries.inc({ outcome: delivery });
        if (fields.durationMs !== undefined) {
          durations.observe({ outcome: delivery }, Math.max(0, fields.durationMs) / 1000);
        }
        if (fields.error) ewsErrors.inc({ code: labelValue(fields.error.code) });
        trackEws(action, outcome, fields);
      } else if (action === 'item.quarantined') {
        quarantined.inc({ code: labelValue(fields.error?.code ?? 'Unknown') });
      } else if (action === 'item.claimed') {
        claimed.inc();
      }
    },
    setQueueStats(stats, oldest) {
      counts = { ...stats };
      oldestFirstSeenAt = oldest;
    },
    setQueueSource(s) {
      source = s;
    },
    setServerBackoff(untilMs) {
      backoffUntil = untilMs;
    },
    noteStorageProblem(code) {
      if (code === undefined) storageProblem = undefined;
      else if (storageProblem?.code !== code) storageProblem = { code, since: clock.now() };
    },
    noteFolderProblem(folder, problem) {
      if (problem === undefined) folderProblems.delete(folder);
      else folderProblems.set(folder, problem);
    },
    setProblems(list) {
      problems = list.map(({ subject, code, message, since }) => ({
        subject,
        code,
        message,
        since,
      }));
    },
    healthState() {
      return {
        problems,
        lastDeliverySuccessAt: lastSuccessAt,
        ewsFailingSince,
        oldestItemFirstSeenAt: oldestFirstSeenAt,
        ...(storageProblem ? { storageProblem } : {}),
        folderProblems: [...folderProblems].map(([folder, problem]): FolderProblem => ({
          folder,
          problem,
        })),
      };
    },
  };

  /** A success clears "failing since"; the first server failure after it starts the clock. */
  function trackEws(action: EventAction, outcome: EventOutcome, fields: EventFields) {
    if (action === 'delivery.succeeded') {
      lastSuccessAt = clock.now();
      ewsFailingSince = undefined;
      return;
    }
    // `unknown` is an attempt abandoned at shutdown: it says nothing about the server.
    if (outcome !== 'failure' || !fields.error) return;
    if (isServerFailureCode(fields.error.code) && ewsFailingSince === undefined) {
      ewsFailingSince = clock.now() - (fields.durationMs ?? 0);
    }
  }
}

/** `item.held` after a failed attempt (quota, needs a person), as opposed to an operator hold. */
function isParked(action: EventAction, fields: EventFields): boolean {
  return action === 'item.held' && fields.attempt !== undefined && fields.error !== undefined;
}

/** Error codes come from servers: keep label values short and tame so cardinality stays bounded. */
function labelValue(code: string): string {
  const clean = code.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  return clean || 'Unknown';
}
