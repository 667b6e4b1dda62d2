/**
 * Cleanups of a start-up sequence, in the manner of graphile-worker's `withReleasers`: each
 * resource adds its release the moment it is acquired, and they run in reverse order, both when
 * the daemon stops and when its start fails half-way. Without this a start that failed after the
 * queue lock or the database was taken left them held until the process ended.
 */

/** Where a start-up sequence adds the release of each resource it acquires. */
export interface Releasers {
  /** `name` says in the log which release failed. Released last-added first. */
  add(name: string, release: () => Promise<unknown> | unknown): void;
}

/** Runs the releases, last added first; a second call waits for the first and does nothing more. */
export type Release = () => Promise<void>;

/** Options of {@link withReleasers}. */
export interface ReleaseOptions {
  /**
   * Told of each release that failed, so none is swallowed silently; the releases after it still
   * run. `failedStart`: it ran because the start-up sequence threw.
   */
  onReleaseError(name: string, error: unknown, failedStart: boolean): void;
}

/**
 * Runs the start-up sequence `start` with a list of releasers. When `start` throws, what it had
 * acquired is released (in reverse order) before its error is rethrown; a release that fails
 * meanwhile is reported and does not hide that first error. When it succeeds, `start` keeps
 * `release` for its stop.
 */
export async function withReleasers<T>(
  start: (releasers: Releasers, release: Release) => Promise<T>,
  opts: ReleaseOptions,
): Promise<T> {
  const stack: { name: string; release: () => Promise<unknown> | unknown }[] = [];
  let releasing: Promise<void> | undefined;
  let failedStart = false;
  const release: Release = () =>
    (releasing ??= (async () => {
      for (let r = stack.pop(); r; r = stack.pop()) {
        try {
          await r.release();
        } catch (e) {
          opts.onReleaseError(r.name, e, failedStart);
        }
      }
    })());
  const releasers: Releasers = {
    add: (name, fn) => void stack.push({ name, release: fn }),
  };
  try {
    return await start(releasers, release);
  } catch (error) {
    failedStart = true;
    await release();
    throw error;
  }
}
