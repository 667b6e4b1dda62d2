import type { EventLog } from '../log/event-log.js';
import type { Metrics } from './metrics.js';

/**
 * An EventLog that also feeds every outcome to the metrics, so counters and the health state can
 * never disagree with the log lines.
 */
export function withMetrics(log: EventLog, metrics: Pick<Metrics, 'observeEvent'>): EventLog {
  return {
    event(action, outcome, message, fields) {
      log.event(action, outcome, message, fields);
      metrics.observeEvent(action, outcome, fields);
    },
    diag: (level, message, extra) => log.diag(level, message, extra),
    close: () => log.close(),
    ...(log.reopen ? { reopen: () => log.reopen!() } : {}),
  };
}
