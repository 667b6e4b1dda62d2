/** Signals that ask the daemon to stop. Windows delivers SIGINT and SIGBREAK, never SIGTERM. */
export function stopSignals(platform: NodeJS.Platform): NodeJS.Signals[] {
  return platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];
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
