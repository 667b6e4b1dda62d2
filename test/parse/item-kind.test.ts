import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSpoolItem } from '../../src/item/parse-item.js';

const opts = { maxBytes: 1024 * 1024 };
const parse = (s: string | Buffer) => parseSpoolItem(Buffer.from(s), opts);
const json = (extra: Record<string, unknown>) =>
  JSON.stringify({
    from: 'alice@contoso.com',
    to: ['bob@contoso.com'],
    messages: [{ at: '2026-11-24T09:58:03Z', text: 'Are you free at 3?' }],
    ...extra,
  });
const mime = (kindHeader?: string) =>
  [
    'From: Alice <alice@contoso.com>',
    'To: Bob <bob@contoso.com>',
    'Subject: Lunch?',
    'Date: Tue, 24 Nov 2026 09:58:03 +0000',
    ...(kindHeader === undefined ? [] : [kindHeader]),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Are you free at 3?',
    '',
  ].join('\r\n');

describe('the kind of a spool item', () => {
  it('is offline-im when a JSON item names none, or names it', async () => {
    expect(await parse(json({}))).toMatchObject({ ok: true, item: { kind: 'offline-im' } });
    expect(await parse(json({ kind: 'offline-im' }))).toMatchObject({
      ok: true,
      item: { kind: 'offline-im' },
    });
    expect(await parse(json({ kind: null }))).toMatchObject({
      ok: true,
      item: { kind: 'offline-im' },
    });
  });

  it('is conversation-history when a JSON item says so (the shipped sample)', async () => {
    const bytes = readFileSync(
      fileURLToPath(new URL('../../config/samples/conversation-history.json', import.meta.url)),
    );
    const r = await parseSpoolItem(bytes, opts);
    expect(r).toMatchObject({
      ok: true,
      item: {
        format: 'json',
        kind: 'conversation-history',
        from: 'alice@contoso.com',
        to: ['bob@contoso.com', 'carol@fabrikam.com'],
      },
    });
  });

  it.each([
    ['"history"', 'history'],
    ['a case variant', 'Conversation-History'],
    ['an empty string', ''],
  ])(
    'quarantines a JSON item whose kind is %s, naming the value and what is allowed',
    async (_, kind) => {
      const r = await parse(json({ kind }));
      expect(r).toMatchObject({ ok: false, code: 'InvalidKind' });
      const message = r.ok ? '' : r.message;
      expect(message).toContain(JSON.stringify(kind));
      expect(message).toContain('"offline-im" or "conversation-history"');
    },
  );

  it('quarantines a JSON kind that is not a string', async () => {
    expect(await parse(json({ kind: 2 }))).toMatchObject({ ok: false, code: 'InvalidField' });
  });

  it('reads the MIME header X-IMSpooler-Kind, in any case and spacing', async () => {
    expect(await parse(mime())).toMatchObject({ ok: true, item: { kind: 'offline-im' } });
    for (const h of [
      'X-IMSpooler-Kind: conversation-history',
      'x-imspooler-kind:   Conversation-History  ',
    ]) {
      expect(await parse(mime(h))).toMatchObject({
        ok: true,
        item: { format: 'mime', kind: 'conversation-history', date: '2026-11-24T09:58:03.000Z' },
      });
    }
    expect(await parse(mime('X-IMSpooler-Kind: offline-im'))).toMatchObject({
      ok: true,
      item: { kind: 'offline-im' },
    });
  });

  it('quarantines a MIME item with an unknown kind, naming the header', async () => {
    const r = await parse(mime('X-IMSpooler-Kind: voicemail'));
    expect(r).toMatchObject({ ok: false, code: 'InvalidKind' });
    expect(r.ok ? '' : r.message).toMatch(/X-IMSpooler-Kind header is "voicemail"/);
  });

  it('counts the kind as content: the same messages as two kinds are two items', async () => {
    const a = await parse(json({}));
    const b = await parse(json({ kind: 'conversation-history' }));
    expect(a.ok && b.ok && a.item.id !== b.item.id).toBe(true);
  });
});
