import { systemClock } from '../../clock.js';
import type { Config } from '../../config/config-types.js';
import { startDaemon, takeDaemonLock, type DaemonObserver } from '../../daemon/daemon.js';
import { handleReopenSignals, handleStopSignals } from '../../daemon/signals.js';
import type { EventLog } from '../../log/event-log.js';
import { makeEventLog } from '../../log/logger.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { MetricsServer } from '../../metrics/metrics-server.js';
import type { SetAsideEntry } from '../../platform/set-aside.js';
import { loadCommandConfig, packageVersion, type CommandContext } from '../context.js';

/** `imspooler run`: the daemon in the foreground until SIGINT/SIGTERM (SIGBREAK on Windows). */
export async function runCommand(ctx: CommandContext): Promise<number> {
  const config = await loadCommandConfig(ctx);
  // First of all: a second daemon must stop before it opens the metrics port or writes a line into
  // the running daemon's log (the contract). The lock goes with the process, however it ends.
  const lockSetAside: SetAsideEntry[] = [];
  const lock = await takeDaemonLock(config.stateDir, packageVersion, (e) => lockSetAside.push(e));
  const secrets: string[] = [];
  const fileLog = makeEventLog({
    level: config.log.level,
    file: config.log.file,
    stdout: true,
    console: config.log.console,
    addresses: config.log.addresses,
    maxSize: config.log.maxSize,
    maxFiles: config.log.maxFiles,
    secrets: () => secrets,
  });
  // prom-client and the listener are loaded only when metrics are on, the transport only when the
  // first item is due (delivery/open/lazy-transport.ts): a daemon waiting with an empty queue stays small.
  const metrics = config.metrics.listen
    ? (await import('../../metrics/metrics.js')).makeMetrics({ clock: systemClock })
    : undefined;
  const log: EventLog = metrics
    ? (await import('../../metrics/metrics-event-log.js')).withMetrics(fileLog, metrics)
    : fileLog;
  // From the start: until a handler is installed, SIGHUP ends Node at once (no daemon.stopped).
  // It stays until the process exits; after log.close() a reopen does nothing.
  handleReopenSignals({
    platform: process.platform,
    reopen: () => fileLog.reopen?.() ?? Promise.resolve(),
    report: (level, message) => log.diag(level, message),
  });
  let server: MetricsServer | undefined;
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  // Installed before the daemon starts: a stop signal that comes while it starts (a service
  // manager's, or one sent the moment `daemon.started` is read) waits for the start and then stops
  // cleanly, instead of ending the process by Node's default with no daemon.stopped.
  const unhandle = handleStopSignals({
    platform: process.platform,
    forceAfterMs: config.delivery.shutdownTimeout + 5000,
    stop: async (reason) => {
      const running = await startup.catch(() => undefined);
      if (running === undefined) return; // a failed start released what it held itself
      await running.stop(`signal ${reason}`);
      await server?.close();
      await log.close();
      await lock.release();
    },
    exit: (code) => exit(code),
    warn: (m) => ctx.err(`imspooler: ${m}`),
  });
  const startup = (async () => {
    if (metrics) server = await startMetrics(config, metrics);
    return startDaemon({
      config,
      log,
      lock,
      setAside: lockSetAside,
      version: packageVersion,
      env: ctx.env,
      ...(metrics ? { observer: observerFor(metrics) } : {}),
      openTransport: async (c) => {
        const { openTransport } = await import('../../delivery/open/open-transport.js');
        // Routing ("auto") says once per sender which transport it chose and why.
        const opened = await openTransport(c, ctx.env, (sender, decision) =>
          log.diag('info', `mail for ${sender} goes through ${decision.kind}: ${decision.why}`, {
            sender,
            transport: decision.kind,
            reason: decision.why,
          }),
        );
        secrets.push(...opened.secrets);
        return opened;
      },
    });
  })();
  try {
    await startup;
  } catch (e) {
    unhandle();
    log.diag('error', `daemon failed to start: ${e instanceof Error ? e.message : String(e)}`);
    await server?.close();
    await log.close();
    await lock.release();
    throw e;
  }
  if (server)
    log.diag('info', `health and metrics at ${server.url}/healthz and ${server.url}/metrics`);
  // `imspooler run | head` closes stdout: the log file still gets every line, so carry on.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') log.diag('warn', `stdout: ${e.message}`);
  });
  // A library bug that rejects outside any awaited promise must not take the daemon down: the
  // queue is crash-safe, but a restart loop would hide the cause. Log it and carry on.
  process.on('unhandledRejection', (reason) =>
    log.diag(
      'error',
      `internal error (unhandled rejection): ${reason instanceof Error ? reason.message : String(reason)}`,
    ),
  );
  return exited;
}

async function startMetrics(config: Config, metrics: Metrics): Promise<MetricsServer> {
  const { degradedAfter } = config.metrics;
  const { startMetricsServer } = await import('../../metrics/metrics-server.js');
  const { makeHealthProbe } = await import('../../metrics/health-probe.js');
  return startMetricsServer({
    listen: config.metrics.listen!,
    metrics,
    health: makeHealthProbe({
      metrics,
      clock: systemClock,
      stateDir: config.stateDir,
      thresholds: {
        ewsFailingMs: degradedAfter.ewsFailing,
        oldestItemMs: degradedAfter.oldestItem,
        diskFreeRatio: degradedAfter.diskFreeBelow,
      },
    }),
  });
}

function observerFor(metrics: Metrics): DaemonObserver {
  return {
    serverBackoff: (until) => metrics.setServerBackoff(until),
    queue: (stats, oldest) => metrics.setQueueStats(stats, oldest),
    queueSource: (read) => metrics.setQueueSource(read),
    folderProblem: (folder, problem) => metrics.noteFolderProblem(folder, problem),
    problems: (list) => metrics.setProblems(list),
    storageProblem: (code) => metrics.noteStorageProblem(code),
  };
}
