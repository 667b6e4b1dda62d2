import { describe, expect, it } from 'vitest';
import { formatItemDetails } from '../../src/status/render-item.js';
import { renderStatusTable } from '../../src/status/render-table.js';
import { toShowDoc } from '../../src/status/show-doc.js';
import { buildStatusDoc } from '../../src/status/status-doc.js';
import { makeMeta, NOW } from './fixtures.js';
import { schemaErrors, validateShow, validateStatus } from './schema-validator.js';

const history = makeMeta({
  id: 'c'.repeat(64),
  kind: 'conversation-history',
  state: 'deferred',
  nextAttemptAt: new Date(NOW + 60_000).toISOString(),
  lastError: { code: 'Http503', message: 'HTTP 503' },
  groups: {
    history: {
      status: 'unclear',
      recipients: { to: ['bob@contoso.com'], cc: [] },
      itemClass: 'IPM.Note.Microsoft.Conversation',
    },
  },
  attempts: [
    {
      n: 1,
      startedAt: new Date(NOW - 1000).toISOString(),
      durationMs: 40,
      outcome: 'deferred',
      group: 'history',
      error: { code: 'Http503', message: 'HTTP 503' },
    },
  ],
});
// Written before kinds existed: an offline message.
const old = makeMeta({ id: 'a'.repeat(64) });
const unread = makeMeta({
  id: 'e'.repeat(64),
  state: 'quarantined',
  quarantine: { code: 'NotRegularFile', message: 'symbolic link' },
});
delete unread.envelope;
delete unread.format;

describe('status and show say which kind an item is', () => {
  const doc = buildStatusDoc({ now: NOW, daemon: undefined, items: [history, old, unread], grace: [] }); // prettier-ignore

  it('status --json has a kind per item whose content was read, and validates', () => {
    expect(schemaErrors(validateStatus, doc)).toBe('');
    const kinds = Object.fromEntries(doc.items.map((i) => [i.id[0], i.kind]));
    expect(kinds).toEqual({ c: 'conversation-history', a: 'offline-im', e: undefined });
    expect(doc.items.find((i) => i.id[0] === 'e')).not.toHaveProperty('kind');
    expect(schemaErrors(validateStatus, { ...doc, items: [{ ...doc.items[0], kind: 'voicemail' }] })).toMatch(/kind/); // prettier-ignore
  });

  it('the status table has a KIND column', () => {
    const lines = renderStatusTable(doc).split('\n');
    expect(lines.find((l) => l.startsWith('cccccccccccc'))).toMatch(/^c{12} +deferred +history +/);
    expect(lines.find((l) => l.startsWith('aaaaaaaaaaaa'))).toMatch(/^a{12} +queued +im +/);
    expect(lines.find((l) => l.startsWith('eeeeeeeeeeee'))).toMatch(/^e{12} +quarantined +- +/);
  });

  it('show --json has the kind and the history group, and validates', () => {
    const show = toShowDoc(history);
    expect(show.kind).toBe('conversation-history');
    expect(schemaErrors(validateShow, show)).toBe('');
    expect(toShowDoc(old).kind).toBe('offline-im');
    expect(toShowDoc(unread)).not.toHaveProperty('kind');
  });

  it('show says in words that a history item is saved, never sent', () => {
    const text = formatItemDetails(toShowDoc(history), NOW);
    expect(text).toContain(
      "kind      conversation-history (saved in the sender's own Conversation History folder, never sent to anyone)",
    );
    expect(text).toContain(
      'group     history: unclear, IPM.Note.Microsoft.Conversation, bob@contoso.com',
    );
    expect(text).toMatch(/#1 .* deferred 40 ms \[history\] Http503/);
    expect(formatItemDetails(toShowDoc(old), NOW)).toContain(
      'kind      offline-im (sent to its recipients)',
    );
  });
});
