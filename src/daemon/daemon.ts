import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config/config-types.js';
import { deliveryGroups } from '../delivery/recipients.js';
import type { Transport } from '../delivery/transport.js';
import { isUsageError } from '../errors/errors.js';
import type { EventLog } from '../log/event-log.js';
import { realFs, type FsLike } from '../platform/fs-seam.js';
import type { SetAsideEntry } from '../platform/set-aside.js';
import type { ItemState } from '../queue/item-meta.js';
import {
  makeQueueStore,
  type QueueStoreOptions,
  type RecoveryReport,
} from '../queue/queue-store.js';
import { claimFile } from '../spool/claim.js';
import { itemIdFor } from '../item/item-id.js';
import { parseSpoolItem } from '../item/parse-item.js';
import { renderTranscriptHtml, subjectFor } from '../item/render-transcript.js';
import { watchFolderChokidar } from '../spool/chokidar-watch.js';
import { watchFolderNative } from '../spool/folder-watch.js';
import { resolveSpoolPaths } from '../spool/discover.js';
import { makeSpoolMonitor } from '../spool/spool-monitor.js';
import { makeControlGate } from '../control/control-gate.js';
import { applyControl } from '../control/control-ops.js';
import { makeControlInbox } from '../control/control-inbox.js';
import { makeIntake } from './intake.js';
import { makeIntakeProblems } from './intake-problems.js';
import { makeItemWorker } from './item-worker.js';
import { makeLazyTransport } from '../delivery/open/lazy-transport.js';
import { checkTransportSecrets } from '../delivery/open/transport-secrets.js';
import { acquireQueueLock, type HeldLock } from '../control/queue-lock.js';
import { policyHoldReason } from './policy.js';
import { makeProblemBoard, type DaemonProblem } from './problems.js';
import { publishDaemonState } from './publish-state.js';
import { resumeQueue } from './resume-queue.js';
import { makeScheduler } from './scheduler.js';
import { collectStartupItems } from './startup-items.js';

/** Due spool files taken in at once (intake.ts keeps two copies of one content one item). */
const INTAKE_CONCURRENCY = 8;

/** Collaborators of the daemon; everything that touches the world is injected. */
export interface DaemonDeps {
  config: Config;
  log: EventLog;
  version: string;
  /**
   * Opens the mail transport (EWS, Graph, or EWS against the in-process sandbox). Called when the
   * first item is due, not at start (lazy-transport.ts), and again after a failed attempt.
   */
  openTransport: (config: Config) => Promise<{ transport: Transport; close: () => Promise<void> }>;
  clock?: Clock;
  fs?: FsLike;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Told about the daemon's state, for metrics and health (metrics/). */
  observer?: DaemonObserver;
  /** Test seams of the queue database (a failing commit, commit counts). */
  storeHooks?: Pick<QueueStoreOptions, 'beforeCommit' | 'onCommit'>;
  /** The queue lock, taken by the caller ({@link takeDaemonLock}); taken here when absent. */
  lock?: HeldLock;
  /** What taking `lock` set aside, to be logged with the rest once the daemon starts. */
  setAside?: readonly SetAsideEntry[];
}

/**
 * Creates the state folder and takes its queue lock for a daemon; a daemon already there is an
 * error with the contract's wording.
 */
export async function takeDaemonLock(
  stateDir: string,
  version: string,
  /** A folder where the lock's socket file goes (macOS) was set aside: the caller logs it. */
  onSetAside?: (entry: SetAsideEntry) => void,
): Promise<HeldLock> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const lock = await acquireQueueLock(stateDir, 'daemon', { version, ...(onSetAside ? { onSetAside } : {}) }); // prettier-ignore
  if (lock.kind === 'daemon') {
    throw new Error(`another imspooler daemon (pid ${lock.holder.pid}) already uses ${stateDir}`);
  }
  return lock;
}

/** What the metrics listener learns from the daemon besides the log lines. */
export interface DaemonObserver {
  serverBackoff(untilMs: number): void;
  /** Items by state (`grace` = files in their grace period) and the oldest undelivered item. */
  queue(stats: Record<string, number>, oldestFirstSeenAtMs: number | undefined): void;
  /** How to read the same counts when they are wanted (a scrape), so they never lag a change. */
  queueSource?(
    read: () => Promise<{ stats: Record<string, number>; oldestFirstSeenAt?: number }>,
  ): void;
  folderProblem(folder: string, problem: string | undefined): void;
  /** Open problems other than folder ones (problems.ts), whenever they change. */
  problems?(problems: DaemonProblem[]): void;
  /** A commit of the queue database failed (`SQLITE_FULL`, `SQLITE_IOERR`), or one succeeded. */
  storageProblem?(code: string | undefined): void;
}

export interface RunningDaemon {
  /** Stops taking work, finishes or abandons what is in flight, flushes. Idempotent. */
  stop(reason: string): Promise<void>;
}

/** Starts every part of the daemon; cleanups are released in reverse order on stop. */
export async function startDaemon(deps: DaemonDeps): Promise<RunningDaemon> {
  const { config, log } = deps;
  const clock = deps.clock ?? systemClock;
  const fs = deps.fs ?? realFs;
  const cleanups: { name: string; fn: () => Promise<unknown> }[] = [];
  const iso = () => new Date(clock.now()).toISOString();

  // Held for the daemon's whole life: a CLI command applying a change right now finishes first,
  // and later commands hand their requests to this daemon (see queue-lock.ts). `run` takes it
  // before anything else (the metrics port, the log), so a second daemon touches nothing.
  const setAside: SetAsideEntry[] = deps.setAside ? [...deps.setAside] : [];
  let lock = deps.lock;
  if (!lock) {
    const taken = await takeDaemonLock(config.stateDir, deps.version, (e) => setAside.push(e));
    cleanups.push({ name: 'queue lock', fn: () => taken.release() });
    lock = taken;
  }

  const store = makeQueueStore({
    stateDir: config.stateDir,
    fs,
    clock,
    historyRetentionMs: config.history.retention,
    ...(deps.storeHooks ?? {}),
    onCommit: (n) => {
      deps.storeHooks?.onCommit?.(n);
      deps.observer?.storageProblem?.(undefined);
    },
    onCommitError: (code) => deps.observer?.storageProblem?.(code),
  });
  // One query hands over what scheduling needs of each waiting item.
  const startup = collectStartupItems({ keepFirstSeen: deps.observer !== undefined });
  const recovery = await store.open({ onItem: startup.onItem });
  // Closed after the scheduler has stopped (cleanups run in reverse): what is pending commits.
  cleanups.push({ name: 'queue database', fn: () => store.close() });
  logRecovery(log, recovery);
  // The history is pruned at start (in open) and then hourly: one indexed DELETE.
  const pruneTimer = setInterval(
    () =>
      void store
        .pruneHistory()
        .catch((e: unknown) =>
          log.diag('warn', `could not prune the history: ${(e as Error).message}`),
        ),
    60 * 60_000,
  );
  pruneTimer.unref();
  cleanups.push({ name: 'history pruning', fn: async () => clearInterval(pruneTimer) });
  // Logged once it is certain this daemon runs (the store's own are in logRecovery).
  for (const e of setAside) {
    logSetAside(log, e);
  }

  await checkTransportSecrets(config, deps.env ?? process.env);
  const transport = makeLazyTransport({
    name: config.delivery.transport,
    open: () => deps.openTransport(config),
    onOpened: () => log.diag('info', `${config.delivery.transport} transport opened for the first item due`), // prettier-ignore
    onOpenFailed: (e) => log.diag('error', `${e.message}; the items are deferred and it is tried again`, { error_code: e.code }), // prettier-ignore
  });
  cleanups.push({ name: 'transport', fn: () => transport.close() });

  // firstSeenAt of every item waiting for delivery, so metrics know the oldest without a disk scan.
  const waiting = new Map<string, number>();
  const scheduleMeta = (m: {
    id: string;
    state: string;
    nextAttemptAt?: string;
    firstSeenAt?: string;
  }) => {
    if (m.state !== 'incoming' && m.state !== 'deferred') return;
    if (m.firstSeenAt && deps.observer) waiting.set(m.id, Date.parse(m.firstSeenAt));
    scheduler.schedule(m.id, m.nextAttemptAt ? Date.parse(m.nextAttemptAt) : clock.now());
  };

  // Operator requests and delivery attempts never touch one item at once (see control-gate.ts).
  const gate = makeControlGate({
    reschedule: async (id) => {
      const m = await store.get(id).catch(() => undefined);
      if (m && (m.state === 'incoming' || m.state === 'deferred')) scheduleMeta(m);
      else {
        scheduler.unschedule(id);
        // Held or deleted: no longer waiting, so no longer the oldest item (metrics, /healthz).
        waiting.delete(id);
      }
    },
  });

  const worker = makeItemWorker({
    store,
    transport,
    log,
    clock,
    scheduler: {
      schedule: (id, at) => scheduler.schedule(id, at),
      pauseUntil: (t) => {
        scheduler.pauseUntil(t);
        deps.observer?.serverBackoff(t);
      },
      pausedUntil: () => scheduler.pausedUntil(),
      setConcurrency: (n) => scheduler.setConcurrency(n),
      concurrency: () => scheduler.concurrency(),
    },
    parse: (bytes) => parseSpoolItem(bytes, { maxBytes: config.spool.maxBytes }),
    groupRecipients: (item) => deliveryGroups(item, config.organization.domains),
    render: (item) => ({ subject: subjectFor(item), html: renderTranscriptHtml(item) }),
    retry: config.retry,
    policyHold: () => policyHoldReason(config.policy),
  });

  const scheduler = makeScheduler({
    clock,
    concurrency: config.delivery.concurrency,
    run: async (id, signal) => {
      // An operator's request holds the item; it reschedules the item when done.
      if (!gate.beginAttempt(id)) return;
      try {
        // Opened (the first time, or again after it failed to) before the attempt's clock starts.
        if (!transport.isOpen()) await transport.open();
        await worker(id, signal);
      } finally {
        gate.endAttempt(id);
        // Deferred items are scheduled again by the worker; anything else has left the waiting set.
        if (!scheduler.isScheduled(id)) waiting.delete(id);
      }
    },
    onError: (id, error) =>
      log.diag(
        'error',
        `internal error while delivering ${id}: ${error instanceof Error ? error.message : String(error)}`,
      ),
  });

  // What keeps the daemon from its job: logged when it starts, again while it lasts (at most every
  // 15 minutes) and when it is over; shown by status (problems.json) and /healthz.
  const problems = makeProblemBoard({
    clock,
    log,
    onChange: (list) => deps.observer?.problems?.(list.filter((p) => p.kind !== 'folder')),
  });
  const intakeProblems = makeIntakeProblems(problems, config.stateDir);
  const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

  const intake = makeIntake({
    store,
    fs,
    log,
    clock,
    maxBytes: config.spool.maxBytes,
    claim: (from, to) => claimFile(fs, from, to, {}),
    parse: (bytes) => parseSpoolItem(bytes, { maxBytes: config.spool.maxBytes }),
    itemId: itemIdFor,
    onQueued: (meta) => scheduleMeta(meta),
    onStranded: (source, e) => intakeProblems.failed(source, dirname(source), e),
    onUnstranded: () => intakeProblems.stateWritable(),
  });

  await resumeQueue({
    recovery,
    startup,
    store,
    admitClaimed: intake.admitClaimed,
    policyHold: () => policyHoldReason(config.policy),
    schedule: scheduleMeta,
    log,
    iso,
  });
  cleanups.push({ name: 'scheduler', fn: () => scheduler.stop(config.delivery.shutdownTimeout) });

  // Bound once grace.json is published (below); the monitor starts after that.
  let graceChanged = (): void => {};
  const env = deps.env ?? process.env;
  const platform = deps.platform ?? process.platform;
  const spoolFolders = await resolveSpoolPaths(config.spool.paths, env, platform, fs);
  // Set once daemon.json is written; the monitor's first scan comes after that.
  let foldersChanged: (folders: string[]) => void = () => {};
  let currentFolders = spoolFolders.folders;
  const monitor = makeSpoolMonitor({
    onGraceChange: () => graceChanged(),
    paths: config.spool.paths,
    onFoldersChanged: (folders) => {
      if (folders.join('\0') === currentFolders.join('\0')) return;
      currentFolders = folders;
      foldersChanged(folders);
    },
    graceMs: config.spool.grace,
    watch: config.spool.watcher === 'native' ? watchFolderNative : watchFolderChokidar,
    // Several due files at once, so their admissions can share the store's commits.
    dueConcurrency: INTAKE_CONCURRENCY,
    rescanMs: config.spool.rescan,
    clock,
    fs,
    env,
    platform,
    onDetected: (path) =>
      log.event(
        'spool.detected',
        'success',
        'new file in a spool folder; waiting out the grace period',
        { filePath: path },
      ),
    onCleared: (path) => {
      intakeProblems.gone(path);
      log.event(
        'spool.cleared',
        'success',
        'file left the spool folder within the grace period (the client handled it)',
        { filePath: path },
      );
    },
    onDue: async (entry) => {
      try {
        await intake.takeDue(entry);
      } catch (e) {
        intakeProblems.failed(entry.path, entry.folder, e);
        throw e;
      }
      // Taken, unless it waits for the state folder (reported by onStranded).
      if (intake.strandedCount() === 0) intakeProblems.taken(entry.path);
    },
    onFolderProblem: (folder, error) => {
      deps.observer?.folderProblem(folder, error ? (error.code ?? String(error)) : undefined);
      if (!error) return problems.resolve(`folder:${folder}`);
      problems.report(`folder:${folder}`, {
        subject: folder,
        code: error.code ?? 'Unknown',
        message: `spool folder problem: ${folder}: ${error.message}; files there are not taken until it can be read`,
      });
    },
    onNoFolders: (reason) =>
      reason === undefined
        ? problems.resolve('spool:none')
        : problems.report('spool:none', {
            subject: `spool.paths ${JSON.stringify(config.spool.paths)}`,
            code: 'NoSpoolFolder',
            message: reason,
          }),
    onWarning: (message, error) =>
      log.diag('warn', error === undefined ? message : `${message}: ${errText(error)}`),
  });

  const inbox = makeControlInbox({
    stateDir: config.stateDir,
    fs,
    clock,
    handle: async (req) => {
      try {
        const r = await applyControl(store, req, log, () => clock.now(), gate);
        return { ok: true, message: r.message, ...(r.pending ? { pending: true } : {}) };
      } catch (e) {
        return {
          ok: false,
          message: e instanceof Error ? e.message : String(e),
          exitCode: isUsageError(e) ? 2 : 1,
        };
      }
    },
    onError: (e) =>
      log.diag('warn', `control request failed: ${e instanceof Error ? e.message : String(e)}`),
  });
  await inbox.start();
  // A CLI command that dropped a request says so on the lock: read the inbox now, not at a poll.
  lock.onWake(() => inbox.wake());
  cleanups.push({ name: 'control inbox', fn: () => inbox.stop() });

  // status reads these while the daemon runs. The folders are the real ones `auto` finds (the
  // monitor finds them again when it starts, and says when they change).
  const info = {
    pid: process.pid,
    startedAt: iso(),
    version: deps.version,
    transport: transport.name,
    spoolFolders: currentFolders,
  };
  const published = await publishDaemonState({
    fs,
    clock,
    stateDir: config.stateDir,
    onSetAside: (e) => logSetAside(log, e),
    onGraceTrouble: (problem) =>
      log.diag(problem ? 'warn' : 'info', problem ?? 'grace.json is written again: status shows the files in grace'), // prettier-ignore
    info,
    graceSnapshot: () => monitor.snapshot(),
    problems,
  });
  graceChanged = published.graceChanged;
  foldersChanged = (folders) => {
    info.spoolFolders = folders;
    void published.update(info).catch(() => {});
    log.diag('info', `spool folders now: ${folders.join(', ')}`, { spool_folders: folders });
  };
  cleanups.push({ name: 'daemon.json and grace.json', fn: () => published.unpublish() });

  // One listing of the state folders serves both the metrics and the daemon.started line.
  const counts = await store.stats();
  if (deps.observer) {
    const observer = deps.observer;
    const readStats = async (known?: Record<ItemState, number>) => {
      let oldest: number | undefined;
      for (const t of waiting.values()) if (oldest === undefined || t < oldest) oldest = t;
      const stats = { ...(known ?? (await store.stats())), grace: monitor.snapshot().length };
      return { stats, ...(oldest !== undefined ? { oldestFirstSeenAt: oldest } : {}) };
    };
    const publishStats = async (known?: Record<ItemState, number>) => {
      const r = await readStats(known);
      observer.queue(r.stats, r.oldestFirstSeenAt);
    };
    await publishStats(counts);
    // Scrapes read the queue themselves; the timer below keeps /healthz's oldest item current.
    observer.queueSource?.(() => readStats());
    const statsTimer = setInterval(() => void publishStats().catch(() => {}), 15_000);
    statsTimer.unref();
    cleanups.push({ name: 'queue stats', fn: async () => clearInterval(statsTimer) });
  }

  log.event('daemon.started', 'success', `imspooler ${deps.version} started`, {
    extra: {
      transport: transport.name,
      spool_folders: info.spoolFolders,
      state_dir: config.stateDir,
      queued: counts,
      recovered: {
        claimed: recovery.claimed.length,
        requeued_from_active: recovery.requeuedFromActive.length,
        history_pruned: recovery.historyPruned,
      },
    },
  });
  // The first scan may hand over a large backlog; the daemon is already up meanwhile (daemon.json
  // written, control requests answered, status shows it running).
  void monitor
    .start()
    .catch((e: unknown) =>
      log.diag('error', `spool monitor failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  cleanups.push({ name: 'spool monitor', fn: () => monitor.stop() });
  const usesEws = config.delivery.transport === 'ews' || config.delivery.transport === 'auto';
  if (usesEws && !config.delivery.ews.rejectUnauthorized) {
    // Said at every start, so a test setting left in production keeps showing up in the logs.
    log.diag(
      'warn',
      'TLS certificate verification is OFF (delivery.ews.rejectUnauthorized: false): anyone on the path to the server can read the messages and the credentials',
      { tls_verification: false },
    );
  }

  let stopping: Promise<void> | undefined;
  return {
    stop(reason) {
      stopping ??= (async () => {
        let abandoned = 0;
        for (const c of cleanups.reverse()) {
          try {
            const r = await c.fn();
            if (c.name === 'scheduler') abandoned = (r as { abandoned: number }).abandoned;
          } catch (e) {
            log.diag('warn', `shutdown: ${c.name}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        log.event('daemon.stopped', 'success', `imspooler stopped (${reason})`, {
          extra: { reason, abandoned },
        });
      })();
      return stopping;
    },
  };
}

/** What start-up found and set right, each in a line a person can act on. */
/** An entry set aside by the lock or the published state, logged as the store logs its own. */
function logSetAside(log: EventLog, e: SetAsideEntry): void {
  logRecovery(log, { setAside: [{ path: e.from, movedTo: e.to, reason: `a ${e.what} where imspooler keeps a file` }] }); // prettier-ignore
}

function logRecovery(log: EventLog, r: Pick<RecoveryReport, 'setAside' | 'imported'>): void {
  for (const s of r.setAside) {
    // An error, not a warning: the daemon runs, but something a person must look at was moved.
    log.diag('error', `state folder: ${s.reason}; moved ${s.path} to ${s.movedTo}`, {
      set_aside_from: s.path,
      set_aside_to: s.movedTo,
    });
  }
  if (r.imported) {
    const i = r.imported;
    const total = Object.values(i.items).reduce((a, b) => a + b, 0);
    log.diag(
      'info',
      i.resumed
        ? `file queue of 0.1.0: import finished earlier; its folders are now in ${i.movedTo}`
        : `file queue of 0.1.0 imported into the queue database: ${total} items, ${i.history} delivered (history); its folders were moved to ${i.movedTo}`,
      {
        imported_items: i.items,
        imported_history: i.history,
        imported_skipped: i.skipped,
        imported_repaired: i.repaired,
        moved_to: i.movedTo,
      },
    );
  }
}
