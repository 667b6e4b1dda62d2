import type { Config } from '../config/config-types.js';
import type { EventLog } from '../log/event-log.js';
import type { SetAsideEntry } from '../platform/set-aside.js';
import type { RecoveryReport } from '../queue/queue-store.js';

/** An entry set aside by the lock or the published state, logged as the store logs its own. */
export function logSetAside(log: EventLog, e: SetAsideEntry): void {
  logRecovery(log, { setAside: [{ path: e.from, movedTo: e.to, reason: `a ${e.what} where imspooler keeps a file` }] }); // prettier-ignore
}

/** What start-up found and set right, each in a line a person can act on. */
export function logRecovery(log: EventLog, r: Pick<RecoveryReport, 'setAside' | 'imported'>): void {
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

/** Said at every start, so a test setting left in production keeps showing up in the logs. */
export function warnIfTlsUnverified(log: EventLog, delivery: Config['delivery']): void {
  const usesEws = delivery.transport === 'ews' || delivery.transport === 'auto';
  if (usesEws && !delivery.ews.rejectUnauthorized) {
    log.diag(
      'warn',
      'TLS certificate verification is OFF (delivery.ews.rejectUnauthorized: false): anyone on the path to the server can read the messages and the credentials',
      { tls_verification: false },
    );
  }
}
