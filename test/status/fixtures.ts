import type { ItemMeta } from '../../src/queue/item-meta.js';

export const NOW = Date.parse('2026-11-24T10:00:00.000Z');
export const iso = (msAgo: number): string => new Date(NOW - msAgo).toISOString();

/** A queue item's metadata as the store writes it; override what the test is about. */
export function makeMeta(overrides: Partial<ItemMeta> = {}): ItemMeta {
  const id = overrides.id ?? 'a'.repeat(64);
  return {
    version: 1,
    id,
    state: 'incoming',
    seq: 1,
    source: '/home/alice/History Spooler/im-1.json',
    format: 'json',
    envelope: {
      from: 'alice@contoso.com',
      to: ['bob@contoso.com'],
      cc: [],
      subject: 'Are you free?',
    },
    size: 321,
    firstSeenAt: iso(5 * 60_000),
    claimedAt: iso(3 * 60_000),
    updatedAt: iso(60_000),
    attempts: [],
    groups: {},
    ...overrides,
  };
}

/** A deferred item after `n` failed attempts with ErrorServerBusy. */
export function deferredMeta(id: string, n = 2): ItemMeta {
  const next = new Date(NOW + 90_000).toISOString();
  return makeMeta({
    id,
    state: 'deferred',
    nextAttemptAt: next,
    lastError: {
      code: 'ErrorServerBusy',
      message: 'The server cannot service this request right now.',
    },
    groups: {
      org: {
        status: 'pending',
        recipients: { to: ['bob@contoso.com'], cc: [] },
        itemClass: 'IPM.Note.Microsoft.Missed',
      },
    },
    attempts: Array.from({ length: n }, (_, i) => ({
      n: i + 1,
      startedAt: iso((n - i) * 60_000),
      durationMs: 120,
      outcome: 'deferred' as const,
      group: 'org' as const,
      error: {
        code: 'ErrorServerBusy',
        message: 'The server cannot service this request right now.',
      },
      nextAttemptAt: next,
    })),
  });
}
