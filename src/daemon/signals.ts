/**
 * Signals that ask the daemon to stop. Windows delivers SIGINT and SIGBREAK, never SIGTERM, and
 * SIGHUP when the console window is closed (Windows ends the process about 10 s later anyway).
 */
export function stopSignals(platform: NodeJS.Platform): NodeJS.Signals[] {
  return platform === 'win32' ? ['SIGINT', 'SIGBREAK', 'SIGHUP'] : ['SIGINT', 'SIGTERM'];
}

/**
 * The signal that asks for the log file to be reopened, as logrotate's `postrotate` sends it:
 * SIGHUP, except on Windows (see stopSignals). Without a handler SIGHUP ends Node at once, with
 * no `daemon.stopped` and work in flight abandoned.
 */
export function reopenSignals(platform: NodeJS.Platform): NodeJS.Signals[] {
  return platform === 'win32' ? [] : ['SIGHUP'];
}

/** Reopens the log file on SIGHUP (not on Windows). Returns a function that removes the handler. */
export function handleReopenSignals(opts: {
  platform: NodeJS.Platform;
  reopen: () => Promise<void>;
  /** Told after each reopen (in the new file), or why it failed. */
  report: (level: 'info' | 'warn', message: string) => void;
}): () => void {
  let queue = Promise.resolve();
  const onSignal = (signal: NodeJS.Signals) => {
    // One reopen at a time: a burst of signals must not interleave two swaps.
    queue = queue.then(() =>
      opts.reopen().then(
        () => opts.report('info', `received ${signal}: log file reopened`),
        (e: unknown) =>
            opts.report('warn', `received ${signal}: reopening the log file failed: ${e instanceof Error ? e.message : String(e)}`), // prettier-ignore
      ),
    );
  };
  const signals = reopenSignals(opts.platform);
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}

/**
 * Graceful, then forceful: the first signal starts a clean stop; a second one, or the clean stop
 * overrunning `forceAfterMs`, exits at once (the queue is crash-safe, so that loses nothing).
 * Returns a function that removes the handlers.
 */
export function handleStopSignals(opts: {
  platform: NodeJS.Platform;
  stop: (reason: string) => Promise<void>;
  forceAfterMs: number;
  exit: (code: number) => void;
  warn: (message: string) => void;
}): () => void {
  let stopping = false;
  const signals = stopSignals(opts.platform);
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      opts.warn(`received ${signal} again: exiting now; work in flight resumes at the next start`);
      opts.exit(1);
      return;
    }
    stopping = true;
    const force = setTimeout(() => {
      opts.warn(`clean stop took longer than ${opts.forceAfterMs} ms: exiting now`);
      opts.exit(1);
    }, opts.forceAfterMs);
    force.unref();
    void opts.stop(signal).then(
      () => {
        clearTimeout(force);
        opts.exit(0);
      },
      (e: unknown) => {
        opts.warn(`clean stop failed: ${e instanceof Error ? e.message : String(e)}`);
        opts.exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
