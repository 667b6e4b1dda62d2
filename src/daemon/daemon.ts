import { every, systemClock, type Clock } from '../clock.js';
import type { Config } from '../config/config-types.js';
import type { Transport } from '../delivery/transport.js';
import { isUsageError } from '../errors/errors.js';
import type { EventLog } from '../log/event-log.js';
import { realFs, type FsLike } from '../platform/fs-seam.js';
import type { SetAsideEntry } from '../platform/set-aside.js';
import { makeQueueStore, type QueueStoreOptions } from '../queue/queue-store.js';
import { resolveSpoolPaths } from '../spool/discover.js';
import { applyControl } from '../control/control-ops.js';
import { makeControlInbox } from '../control/control-inbox.js';
import type { DaemonObserver } from './daemon-observer.js';
import { makeDeliveryLoop } from './delivery-loop.js';
import { makeLazyTransport } from '../delivery/open/lazy-transport.js';
import { policyHoldReason } from './policy.js';
import { makeProblemBoard } from './problems.js';
import { publishDaemonState } from './publish-state.js';
import { acquireQueueLock, type HeldLock } from '../control/queue-lock.js';
import { publishQueueStats } from './queue-stats.js';
import { withReleasers } from './releasers.js';
import type { DueFeed } from './due-feed.js';
import { resumeQueue } from './resume-queue.js';
import { makeSpoolIntake } from './spool-intake.js';
import { collectStartupItems } from './startup-items.js';
import { logRecovery, logSetAside, warnIfTlsUnverified } from './startup-log.js';
import { checkTransportSecrets } from '../delivery/open/transport-secrets.js';
import { errorText } from '../platform/errno.js';

export type { DaemonObserver } from './daemon-observer.js';

/** How often the history is pruned after start (one indexed DELETE; it is pruned at open too). */
const HISTORY_PRUNE_MS = 60 * 60_000;

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
  fs: Pick<FsLike, 'mkdir'> = realFs,
): Promise<HeldLock> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const lock = await acquireQueueLock(stateDir, 'daemon', { version, ...(onSetAside ? { onSetAside } : {}) }); // prettier-ignore
  if (lock.kind === 'daemon') {
    throw new Error(`another imspooler daemon (pid ${lock.holder.pid}) already uses ${stateDir}`);
  }
  return lock;
}

export interface RunningDaemon {
  /** Stops taking work, finishes or abandons what is in flight, flushes. Idempotent. */
  stop(reason: string): Promise<void>;
}

/**
 * Starts every part of the daemon. Each part adds its release as it is acquired (releasers.ts):
 * they run in reverse order on stop, and also when the start fails half-way, before its error is
 * rethrown, so a failed start leaves no lock, database, timer or watcher behind.
 */
export function startDaemon(deps: DaemonDeps): Promise<RunningDaemon> {
  const { log } = deps;
  return withReleasers((releasers, release) => start(deps, releasers.add, release), {
    onReleaseError: (name, e, failedStart) =>
      log.diag('warn', `${failedStart ? 'failed start' : 'shutdown'}: ${name}: ${errorText(e)}`),
  });
}

/** The start-up sequence, in the order the parts depend on each other. */
async function start(
  deps: DaemonDeps,
  releaser: (name: string, release: () => Promise<unknown> | unknown) => void,
  release: () => Promise<void>,
): Promise<RunningDaemon> {
  const { config, log } = deps;
  const clock = deps.clock ?? systemClock;
  const fs = deps.fs ?? realFs;
  const env = deps.env ?? process.env;
  const platform = deps.platform ?? process.platform;
  const iso = () => new Date(clock.now()).toISOString();

  // Held for the daemon's whole life: a CLI command applying a change right now finishes first,
  // and later commands hand their requests to this daemon (see queue-lock.ts). `run` takes it
  // before anything else (the metrics port, the log), so a second daemon touches nothing.
  const setAside: SetAsideEntry[] = deps.setAside ? [...deps.setAside] : [];
  let lock = deps.lock;
  if (!lock) {
    const taken = await takeDaemonLock(config.stateDir, deps.version, (e) => setAside.push(e), fs);
    releaser('queue lock', () => taken.release());
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
  const startup = collectStartupItems();
  const recovery = await store.open({ onItem: startup.onItem });
  // Closed after the scheduler has stopped (releases run in reverse): what is pending commits.
  releaser('queue database', () => store.close());
  logRecovery(log, recovery);
  // The history is pruned at start (in open) and then hourly.
  const pruneWarn = (e: unknown) => log.diag('warn', `could not prune the history: ${(e as Error).message}`); // prettier-ignore
  releaser('history pruning', every(clock, HISTORY_PRUNE_MS, () => void store.pruneHistory().catch(pruneWarn))); // prettier-ignore
  // Logged once it is certain this daemon runs (the store's own are in logRecovery).
  for (const e of setAside) logSetAside(log, e);

  await checkTransportSecrets(config, env);
  const transport = makeLazyTransport({
    name: config.delivery.transport,
    open: () => deps.openTransport(config),
    onOpened: () => log.diag('info', `${config.delivery.transport} transport opened for the first item due`), // prettier-ignore
    onOpenFailed: (e) => log.diag('error', `${e.message}; the items are deferred and it is tried again`, { error_code: e.code }), // prettier-ignore
  });
  releaser('transport', () => transport.close());

  // Hands the scheduler the waiting items a page at a time; set by resumeQueue (below).
  let feed: DueFeed | undefined = undefined;
  const loop = makeDeliveryLoop({
    config,
    store,
    transport,
    log,
    clock,
    // The queue is handed to the scheduler a page at a time (due-feed.ts): room, read more.
    onRoom: () => feed?.topUp(),
    ...(deps.observer ? { onServerBackoff: (t: number) => deps.observer?.serverBackoff(t) } : {}),
  });
  let abandoned = 0;
  releaser('scheduler', async () => {
    abandoned = (await loop.stop(config.delivery.shutdownTimeout)).abandoned;
  });

  // What keeps the daemon from its job: logged when it starts, again while it lasts (at most every
  // 15 minutes) and when it is over; shown by status (problems.json) and /healthz.
  const problems = makeProblemBoard({
    clock,
    log,
    onChange: (list) => deps.observer?.problems?.(list.filter((p) => p.kind !== 'folder')),
  });
  // Bound once daemon.json and grace.json are published (below); the monitor starts after that.
  let graceChanged = (): void => {};
  let foldersChanged: (folders: string[]) => void = () => {};
  let currentFolders: string[] = [];
  const { intake, monitor } = makeSpoolIntake({
    config,
    store,
    fs,
    log,
    clock,
    env,
    platform,
    problems,
    onQueued: (meta) => loop.schedule(meta),
    onGraceChange: () => graceChanged(),
    onFoldersChanged: (folders) => {
      if (folders.join('\0') === currentFolders.join('\0')) return;
      currentFolders = folders;
      foldersChanged(folders);
    },
    onFolderProblem: (folder, problem) => deps.observer?.folderProblem(folder, problem),
  });

  feed = await resumeQueue({
    recovery,
    startup,
    store,
    scheduler: loop.waiting,
    now: () => clock.now(),
    admitClaimed: intake.admitClaimed,
    policyHold: () => policyHoldReason(config.policy),
    schedule: loop.schedule,
    log,
    iso,
  });
  // The real folders `auto` finds, for status (the monitor finds them again when it starts).
  currentFolders = (await resolveSpoolPaths(config.spool.paths, env, platform, fs)).folders;

  const inbox = makeControlInbox({
    stateDir: config.stateDir,
    fs,
    clock,
    handle: async (req) => {
      try {
        const r = await applyControl(store, req, log, () => clock.now(), loop.gate);
        return { ok: true, message: r.message, ...(r.pending ? { pending: true } : {}) };
      } catch (e) {
        return { ok: false, message: errorText(e), exitCode: isUsageError(e) ? 2 : 1 };
      }
    },
    onError: (e) => log.diag('warn', `control request failed: ${errorText(e)}`),
  });
  await inbox.start();
  // A CLI command that dropped a request says so on the lock: read the inbox now, not at a poll.
  lock.onWake(() => inbox.wake());
  releaser('control inbox', () => inbox.stop());

  // status reads these while the daemon runs.
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
  releaser('daemon.json and grace.json', () => published.unpublish());

  // One listing of the state folders serves both the metrics and the daemon.started line.
  const counts = await store.stats();
  if (deps.observer) {
    const stopStats = await publishQueueStats(
      {
        observer: deps.observer,
        clock,
        stats: () => store.stats(),
        graceCount: () => monitor.snapshot().length,
        oldestWaiting: () => {
          const first = store.oldestWaiting();
          return first === undefined ? undefined : Date.parse(first);
        },
      },
      counts,
    );
    releaser('queue stats', stopStats);
  }

  log.event('daemon.started', 'success', `imspooler ${deps.version} started`, {
    extra: {
      transport: transport.name,
      // Which runtime and which of node's flags (the self-contained program's execArgv, a
      // service's command line): what a support engineer checks when memory looks wrong.
      node: { version: process.versions.node, flags: process.execArgv },
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
  // The waiting items, likewise: the first ones due open the transport (its modules take a
  // second to load) and start delivering, after the daemon is up rather than before.
  feed.topUp();
  // The first scan may hand over a large backlog; the daemon is already up meanwhile (daemon.json
  // written, control requests answered, status shows it running).
  void monitor
    .start()
    .catch((e: unknown) => log.diag('error', `spool monitor failed: ${errorText(e)}`));
  releaser('spool monitor', () => monitor.stop());
  warnIfTlsUnverified(log, config.delivery);

  let stopping: Promise<void> | undefined;
  return {
    stop(reason) {
      stopping ??= (async () => {
        await release();
        log.event('daemon.stopped', 'success', `imspooler stopped (${reason})`, {
          extra: { reason, abandoned },
        });
      })();
      return stopping;
    },
  };
}
