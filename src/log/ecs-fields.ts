import type { EventAction, EventFields, EventOutcome } from './event-log.js';

/**
 * Pure mapping from an outcome to the nested ECS fields that `@elastic/ecs-winston-format` writes.
 * Kept apart from winston so the shape of every log line is unit-tested.
 */
export function ecsFieldsFor(
  action: EventAction,
  outcome: EventOutcome,
  fields: EventFields = {},
  /** `log.addresses`: false leaves `email.*` out. */
  opts: { addresses?: boolean } = {},
): Record<string, unknown> {
  const event: Record<string, unknown> = { action, outcome, dataset: 'imspooler.events' };
  if (fields.durationMs !== undefined) event.duration = Math.round(fields.durationMs * 1e6);
  const imspooler: Record<string, unknown> = { ...(fields.extra ?? {}) };
  if (fields.itemId !== undefined) imspooler.item = { id: fields.itemId };
  if (fields.attempt !== undefined) imspooler.attempt = fields.attempt;
  if (fields.nextAttemptAt !== undefined) imspooler.next_attempt_at = fields.nextAttemptAt;
  const out: Record<string, unknown> = { event, imspooler };
  if (fields.filePath !== undefined) out.file = { path: fields.filePath };
  if (fields.error) out.error = { code: fields.error.code, message: fields.error.message };
  if (fields.email && opts.addresses !== false) {
    // ECS keeps every address field an array, `from` too (a message may have several senders).
    out.email = {
      from: { address: [fields.email.from] },
      to: { address: [...fields.email.to] },
      cc: { address: [...fields.email.cc] },
    };
  }
  return out;
}

/** The level an outcome is logged at unless the caller says otherwise. */
export function defaultLevel(outcome: EventOutcome): 'info' | 'warn' | 'error' {
  return outcome === 'failure' ? 'warn' : 'info';
}
