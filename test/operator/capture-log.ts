import type { EventAction, EventFields, EventLog, EventOutcome } from '../../src/log/event-log.js';

export interface Captured {
  action: EventAction;
  outcome: EventOutcome;
  message: string;
  fields: EventFields;
}

/** An EventLog that keeps what it is told, for assertions. */
export function captureLog(): EventLog & { events: Captured[] } {
  const events: Captured[] = [];
  return {
    events,
    event: (action, outcome, message, fields = {}) =>
      void events.push({ action, outcome, message, fields }),
    diag: () => {},
    close: async () => {},
  };
}
