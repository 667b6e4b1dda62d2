import { describe, expect, it } from 'vitest';
import { formatItemDetails } from '../../src/status/render-item.js';
import { toShowDoc } from '../../src/status/show-doc.js';
import { deferredMeta, makeMeta, NOW } from './fixtures.js';
import { schemaErrors, validateShow } from './schema-validator.js';

describe('show: the document and its text', () => {
  it('lists origin, envelope, groups, every attempt and what to do next, without internal fields', () => {
    const meta = deferredMeta('b'.repeat(64), 2);
    const doc = toShowDoc(meta);
    expect(doc).not.toHaveProperty('seq');
    expect(doc).not.toHaveProperty('version');
    expect(doc).not.toHaveProperty('messages');
    expect(schemaErrors(validateShow, doc)).toBe('');
    const text = formatItemDetails(doc, NOW);
    expect(text).toContain(`item      ${'b'.repeat(64)}`);
    expect(text).toContain('state     deferred');
    expect(text).toContain('source    /home/alice/History Spooler/im-1.json');
    expect(text).toContain('from      alice@contoso.com');
    expect(text).toContain('subject   Are you free?');
    expect(text).toContain('group     org: pending, IPM.Note.Microsoft.Missed, bob@contoso.com');
    expect(text).toMatch(/next {6}2026-11-24T10:01:30.000Z \(in 1m\)/);
    expect(text).toContain('error     ErrorServerBusy');
    expect(text).toContain(
      'todo      retried automatically; "imspooler retry bbbbbbbbbbbb" sends it now',
    );
    expect(text).toContain('attempts  2');
    expect(text).toMatch(/ {2}#1 .* deferred 120 ms \[org\] ErrorServerBusy/);
    expect(text).not.toContain('messages');
  });

  it('shows the messages only when asked, one line per text line, control characters replaced', () => {
    const doc = toShowDoc(makeMeta(), [
      { at: '2026-11-24T09:58:03Z', text: 'Are you free at 3?\nor 4\u0007' },
    ]);
    expect(schemaErrors(validateShow, doc)).toBe('');
    const text = formatItemDetails(doc, NOW);
    expect(text).toContain('messages\n  [2026-11-24T09:58:03Z] Are you free at 3?\n      or 4?');
  });

  it('held, failed and quarantined items say why and what to do', () => {
    const held = toShowDoc(makeMeta({ state: 'held', heldReason: 'mailbox quota exceeded' }));
    expect(formatItemDetails(held, NOW)).toContain('state     held (mailbox quota exceeded)');
    expect(formatItemDetails(held, NOW)).toContain('imspooler release aaaaaaaaaaaa');
    const q = makeMeta({
      state: 'quarantined',
      quarantine: { code: 'NotRegularFile', message: 'symbolic link' },
    });
    delete q.envelope;
    delete q.format;
    const qDoc = toShowDoc(q);
    expect(schemaErrors(validateShow, qDoc)).toBe('');
    expect(formatItemDetails(qDoc, NOW)).toContain('reason    NotRegularFile: symbolic link');
    expect(formatItemDetails(qDoc, NOW)).toContain('format    unreadable, 321 bytes');
    const failed = toShowDoc(
      makeMeta({ state: 'failed', lastError: { code: 'ErrorSendAsDenied', message: 'x' } }),
    );
    expect(schemaErrors(validateShow, failed)).toBe('');
    expect(formatItemDetails(failed, NOW)).toContain('"imspooler retry aaaaaaaaaaaa"');
  });

  it('a quarantined item shows the format it was recognised as and its reason once', () => {
    const reason = { code: 'InvalidJson', message: 'the file is not valid JSON (line 1)' };
    const q = makeMeta({
      state: 'quarantined',
      format: 'json',
      quarantine: reason,
      lastError: reason,
    });
    delete q.envelope;
    const text = formatItemDetails(toShowDoc(q), NOW);
    expect(text).toContain('format    json, 321 bytes');
    expect(text.split('the file is not valid JSON')).toHaveLength(2);
    expect(text).toContain('reason    InvalidJson: the file is not valid JSON (line 1)');
    expect(text).not.toMatch(/^error /m);
  });

  it('the schema rejects a quarantined item without its reason and unknown fields', () => {
    const q = toShowDoc(makeMeta({ state: 'quarantined' }));
    expect(schemaErrors(validateShow, q)).toMatch(/quarantine/);
    expect(schemaErrors(validateShow, { ...toShowDoc(makeMeta()), seq: 3 })).toMatch(/additional/);
  });
});
