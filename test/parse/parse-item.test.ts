import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { itemIdFor } from '../../src/item/item-id.js';
import { parseSpoolItem, spoolParsers } from '../../src/item/parse-item.js';
import type { SpoolParser } from '../../src/item/spool-item.js';

const MiB = 1024 * 1024;
const opts = { maxBytes: 10 * MiB };
const sample = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../../config/samples/${name}`, import.meta.url)));

describe('parseSpoolItem: the shipped samples', () => {
  it('offline-im.json is a same-organisation JSON item', async () => {
    const bytes = sample('offline-im.json');
    const r = await parseSpoolItem(bytes, opts);
    expect(r).toMatchObject({
      ok: true,
      item: {
        id: itemIdFor(bytes),
        format: 'json',
        from: 'alice@contoso.com',
        to: ['bob@contoso.com'],
      },
    });
  });

  it('federated.json goes to a fabrikam.com address without its sip: prefix', async () => {
    const r = await parseSpoolItem(sample('federated.json'), opts);
    expect(r.ok && r.item.to).toEqual(['carol@fabrikam.com']);
  });

  it('offline-im.eml is a MIME item with decoded non-ASCII text and an &', async () => {
    const r = await parseSpoolItem(sample('offline-im.eml'), opts);
    if (!r.ok) throw new Error(r.message);
    expect(r.item.format).toBe('mime');
    expect(r.item.subject).toBe('Café & crème brûlée at 3?');
    expect(r.item.messages[0]?.text).toContain('Bring the Q4 numbers — and the slides.');
    expect(r.item.messages[0]?.html).toContain('&amp; crème brûlée');
  });

  it('bad.json is rejected with a code, and says it was recognised as JSON (for show)', async () => {
    expect(await parseSpoolItem(sample('bad.json'), opts)).toMatchObject({
      ok: false,
      code: 'NoRecipients',
      format: 'json',
    });
  });
});

describe('parseSpoolItem: rejections before parsing', () => {
  it.each([[''], ['   \r\n\t'], ['\ufeff\n']])('Empty for %j', async (s) => {
    expect(await parseSpoolItem(Buffer.from(s), opts)).toMatchObject({ ok: false, code: 'Empty' });
  });

  it('TooLarge over maxBytes, naming both sizes', async () => {
    const r = await parseSpoolItem(Buffer.alloc(101, 0x20), { maxBytes: 100 });
    expect(r).toMatchObject({ ok: false, code: 'TooLarge' });
    expect(!r.ok && r.message).toContain('101 bytes');
    expect(!r.ok && r.message).toContain('100-byte');
  });

  it('exactly maxBytes is not too large', async () => {
    const bytes = sample('offline-im.json');
    expect((await parseSpoolItem(bytes, { maxBytes: bytes.length })).ok).toBe(true);
  });

  it.each([
    ['NUL bytes', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x14])],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x41, 0x42])],
    ['UTF-16 text', Buffer.from('\ufeff{"from": "a"}', 'utf16le')],
  ])('Binary for %s', async (_name, bytes) => {
    expect(await parseSpoolItem(bytes, opts)).toMatchObject({ ok: false, code: 'Binary' });
  });

  it('UnrecognisedFormat for readable text in neither format', async () => {
    const r = await parseSpoolItem(Buffer.from('Hello Bob, are you free at 3?\n'), opts);
    expect(r).toMatchObject({ ok: false, code: 'UnrecognisedFormat' });
    expect(r).not.toHaveProperty('format');
  });
});

describe('parseSpoolItem: IDs', () => {
  it('the same bytes give the same ID; different bytes a different one', async () => {
    const a = sample('offline-im.json');
    const b = Buffer.concat([a, Buffer.from('\n')]);
    const [r1, r2, r3] = await Promise.all([
      parseSpoolItem(a, opts),
      parseSpoolItem(Buffer.from(a), opts),
      parseSpoolItem(b, opts),
    ]);
    if (!r1.ok || !r2.ok || !r3.ok) throw new Error('expected success');
    expect(r1.item.id).toMatch(/^[0-9a-f]{64}$/);
    expect(r2.item.id).toBe(r1.item.id);
    expect(r3.item.id).not.toBe(r1.item.id);
  });
});

describe('parseSpoolItem: the parser list', () => {
  it('tries JSON then MIME', () => {
    expect(spoolParsers.map((p) => p.format)).toEqual(['json', 'mime']);
  });

  it('turns a parser that throws into its format`s Invalid code', async () => {
    const throwing: SpoolParser = {
      format: 'mime',
      detect: () => true,
      parse: () => Promise.reject(new Error('boom')),
    };
    const r = await parseSpoolItem(Buffer.from('x'), { ...opts, parsers: [throwing] });
    expect(r).toMatchObject({ ok: false, code: 'InvalidMime' });
  });

  it('skips a parser whose detect throws', async () => {
    const broken: SpoolParser = {
      format: 'json',
      detect: () => {
        throw new Error('boom');
      },
      parse: () => Promise.reject(new Error('unreachable')),
    };
    const r = await parseSpoolItem(sample('offline-im.eml'), {
      ...opts,
      parsers: [broken, ...spoolParsers],
    });
    expect(r.ok).toBe(true);
  });
});

describe('parseSpoolItem: robustness', () => {
  it('never throws on arbitrary bytes and always answers ok or a coded failure', async () => {
    const prefixes = ['', '{', '{"from":', 'From: a@b.c\r\nTo: ', 'Subject: x\n\n', '\ufeff'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...prefixes),
        fc.uint8Array({ maxLength: 512 }),
        async (p, tail) => {
          const r = await parseSpoolItem(Buffer.concat([Buffer.from(p), tail]), { maxBytes: 400 });
          if (r.ok) expect(r.item.id).toMatch(/^[0-9a-f]{64}$/);
          else {
            expect(r.code).toMatch(/^[A-Z][A-Za-z0-9]+$/);
            expect(r.message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays fast on 10 MiB inputs of every kind', async () => {
    const text = 'x'.repeat(10 * MiB - 200);
    const inputs = [
      Buffer.from(
        JSON.stringify({ from: 'a@contoso.com', to: ['b@contoso.com'], messages: [{ text }] }),
      ),
      Buffer.from(`From: a@contoso.com\r\nTo: b@contoso.com\r\nSubject: s\r\n\r\n${text}`),
      Buffer.from(
        `From: a@contoso.com\r\nTo: b@contoso.com\r\nContent-Type: text/html\r\n\r\n${'<'.repeat(10 * MiB - 100)}`,
      ),
      Buffer.from(`{"from": "${'<script'.repeat(MiB)}`),
      Buffer.alloc(10 * MiB, 0xff),
      Buffer.alloc(10 * MiB, 0x41),
    ];
    for (const bytes of inputs) {
      const started = performance.now();
      const r = await parseSpoolItem(bytes.subarray(0, 10 * MiB), opts);
      expect(typeof r.ok).toBe('boolean');
      expect(performance.now() - started).toBeLessThan(5000);
    }
  });
});
