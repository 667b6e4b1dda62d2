/**
 * Runs the spool monitor's tasks one at a time, so that an `lstat` and what is done with it never
 * interleave with a claim, and a file seen twice is one tracked entry, handed over once.
 */
export interface TaskChain {
  /** Queues `task`; resolves when it has run (or was skipped because the chain was halted). */
  enqueue(task: () => Promise<void>): Promise<void>;
  /** Whether the chain is halted: tasks queued from now on are skipped. */
  halted(): boolean;
  halt(): void;
  resume(): void;
  /** Resolves once the task in progress and those queued before it are done. */
  idle(): Promise<void>;
}

export interface TaskChainDeps {
  /** After every task that ran, failed or not (the monitor publishes the files in grace). */
  afterEach(): void;
  /** A task failed: nothing else would say so. */
  onError(error: unknown): void;
}

export function makeTaskChain(deps: TaskChainDeps): TaskChain {
  let chain: Promise<void> = Promise.resolve();
  let halted = false;
  return {
    enqueue(task) {
      const run = chain.then(async () => {
        if (halted) return;
        try {
          await task();
        } finally {
          deps.afterEach();
        }
      });
      chain = run.catch((e: unknown) => deps.onError(e));
      return chain;
    },
    halted: () => halted,
    halt: () => void (halted = true),
    resume: () => void (halted = false),
    idle: () => chain,
  };
}
