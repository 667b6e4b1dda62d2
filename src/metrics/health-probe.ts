import { statfs } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import type { HealthReport, HealthThresholds } from './health.js';
import { evaluateHealth } from './health.js';
import type { Metrics } from './metrics.js';

/** Free and total bytes of the file system holding a path. */
export type DiskUsage = (path: string) => Promise<{ free: number; total: number }>;

/** Options of `makeHealthProbe`. */
export interface HealthProbeOptions {
  metrics: Pick<Metrics, 'healthState'>;
  clock: Clock;
  thresholds: HealthThresholds;
  /** The state folder: the queue, quarantine and logs live on its file system. */
  stateDir: string;
  /** Defaults to `fs.statfs` (space available to this user, not to root). */
  diskUsage?: DiskUsage;
}

/** `fs.statfs` as free/total bytes. */
export const statfsUsage: DiskUsage = async (path) => {
  const s = await statfs(path);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
};

/** The `/healthz` computation: observed state + disk space, evaluated at the clock's now. */
export function makeHealthProbe(opts: HealthProbeOptions): () => Promise<HealthReport> {
  const diskUsage = opts.diskUsage ?? statfsUsage;
  return async () => {
    // A disk we cannot measure is reported as unknown rather than failing the whole check.
    const disk = await diskUsage(opts.stateDir).catch(() => undefined);
    return evaluateHealth({
      ...opts.metrics.healthState(),
      now: opts.clock.now(),
      thresholds: opts.thresholds,
      ...(disk ? { diskFreeBytes: disk.free, diskTotalBytes: disk.total } : {}),
    });
  };
}
