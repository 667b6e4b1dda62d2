import { describe, it, expect } from 'vitest';
import { jsonParser } from '../../src/item/parse-json.js';

const good = {
  from: 'alice@contoso.com',
  to: ['bob@contoso.com'],
  messages: [{ at: '2026-11-24T09:58:03Z', text: 'Are you free at 3?' }],
};

const parse = (doc: unknown) => jsonParser.parse(Buffer.from(JSON.stringify(doc)));

async function parseOk(doc: unknown) {
  const r = await parse(doc);
  if (!r.ok) throw new Error(`expected success, got ${r.code}: ${r.message}`);
  return r.item;
}

async function failure(input: unknown) {
  const r = await (Buffer.isBuffer(input) ? jsonParser.parse(input) : parse(input));
  if (r.ok) throw new Error('expected a failure');
  return r;
}

describe('jsonParser.detect', () => {
  it('claims text whose first non-blank character is {, after an optional BOM', () => {
    expect(jsonParser.detect(Buffer.from('{}'))).toBe(true);
    expect(jsonParser.detect(Buffer.from(' \r\n\t{"from":1}'))).toBe(true);
    expect(jsonParser.detect(Buffer.from('\ufeff{}'))).toBe(true);
  });

  it('leaves everything else alone', () => {
    expect(jsonParser.detect(Buffer.from('[1]'))).toBe(false);
    expect(jsonParser.detect(Buffer.from('From: a@b.c\r\n'))).toBe(false);
    expect(jsonParser.detect(Buffer.from('   '))).toBe(false);
    expect(jsonParser.detect(Buffer.alloc(0))).toBe(false);
  });
});

describe('jsonParser.parse: accepted items', () => {
  it('reads the contract example, stripping sip: and normalising times', async () => {
    const item = await parseOk({
      from: 'alice@contoso.com',
      to: ['bob@contoso.com', 'sip:carol@fabrikam.com'],
      cc: [],
      subject: 'optional',
      conversationId: 'conv-1',
      messages: [{ at: '2026-11-24T09:58:03Z', text: 'Are you free at 3?', html: '<b>Are</b>' }],
    });
    expect(item).toEqual({
      format: 'json',
      kind: 'offline-im',
      from: 'alice@contoso.com',
      to: ['bob@contoso.com', 'carol@fabrikam.com'],
      cc: [],
      subject: 'optional',
      conversationId: 'conv-1',
      messages: [
        { at: '2026-11-24T09:58:03.000Z', text: 'Are you free at 3?', html: '<b>Are</b>' },
      ],
    });
  });

  it('strips SIP: in any case from sender and recipients', async () => {
    const item = await parseOk({
      ...good,
      from: 'SIP:alice@contoso.com',
      cc: ['Sip:dan@contoso.com'],
    });
    expect(item.from).toBe('alice@contoso.com');
    expect(item.cc).toEqual(['dan@contoso.com']);
  });

  it('accepts recipients in cc only', async () => {
    const item = await parseOk({ ...good, to: undefined, cc: ['bob@contoso.com'] });
    expect(item.to).toEqual([]);
    expect(item.cc).toEqual(['bob@contoso.com']);
  });

  it('accepts a UTF-8 byte order mark and non-ASCII text', async () => {
    const doc = { ...good, subject: 'Grüße', messages: [{ text: 'Café & crème — 日本語 😀' }] };
    const r = await jsonParser.parse(Buffer.from(`\ufeff${JSON.stringify(doc, null, 2)}`));
    expect(r.ok && r.item.messages[0]?.text).toBe('Café & crème — 日本語 😀');
    expect(r.ok && r.item.subject).toBe('Grüße');
  });

  it('accepts a message with html only and a time with an offset', async () => {
    const item = await parseOk({
      ...good,
      messages: [{ at: '2026-11-24T10:58:03+01:00', html: '<p>Hi</p>' }],
    });
    expect(item.messages).toEqual([{ at: '2026-11-24T09:58:03.000Z', html: '<p>Hi</p>' }]);
  });

  it('treats null optional fields as absent and ignores unknown keys', async () => {
    const item = await parseOk({
      ...good,
      subject: null,
      cc: null,
      conversationId: null,
      client: 'x',
    });
    expect(item.subject).toBeUndefined();
    expect(item.conversationId).toBeUndefined();
    expect(item.cc).toEqual([]);
  });

  it('drops duplicate recipients, and cc entries already in to', async () => {
    const item = await parseOk({
      ...good,
      to: ['bob@contoso.com', 'sip:Bob@Contoso.com'],
      cc: ['BOB@contoso.com', 'dan@contoso.com'],
    });
    expect(item.to).toEqual(['bob@contoso.com']);
    expect(item.cc).toEqual(['dan@contoso.com']);
  });

  it('accepts "Name <address>" forms', async () => {
    const item = await parseOk({ ...good, from: 'Alice Smith <sip:alice@contoso.com>' });
    expect(item.from).toBe('alice@contoso.com');
  });
});

describe('jsonParser.parse: rejected items', () => {
  it('InvalidJson: syntax errors name the line and column, not the content', async () => {
    const f = await failure(
      Buffer.from('{\n  "from": "alice@contoso.com",\n  "secret text" 42\n}'),
    );
    expect(f.code).toBe('InvalidJson');
    expect(f.message).toContain('line 3');
    expect(f.message).not.toContain('secret');
  });

  it('InvalidJson: a truncated file', async () => {
    const f = await failure(Buffer.from('{"from": "alice@contoso.com", "to": ['));
    expect(f).toMatchObject({ code: 'InvalidJson' });
    expect(f.message).toContain('ends before');
  });

  it('InvalidUtf8: names the offset of the first bad byte', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"from": "caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);
    const f = await failure(bytes);
    expect(f.code).toBe('InvalidUtf8');
    expect(f.message).toContain('offset 13');
  });

  it.each([
    { ...good, from: undefined },
    { ...good, from: null },
    { ...good, from: '' },
  ])('MissingSender when from is absent or empty (%#)', async (doc) => {
    const f = await failure(doc);
    expect(f.code).toBe('MissingSender');
    expect(f.message).toContain('"from"');
  });

  it('InvalidAddress names the field and the value', async () => {
    const f = await failure({ ...good, to: ['bob@contoso.com', 'not an address'] });
    expect(f.code).toBe('InvalidAddress');
    expect(f.message).toContain('"to[1]"');
    expect(f.message).toContain('"not an address"');
  });

  it('InvalidAddress for a bad sender', async () => {
    expect((await failure({ ...good, from: 'sip:alice' })).code).toBe('InvalidAddress');
  });

  it.each([
    { ...good, to: [] },
    { ...good, to: undefined },
    { ...good, to: [], cc: [] },
  ])('NoRecipients when neither to nor cc has an address (%#)', async (doc) => {
    expect((await failure(doc)).code).toBe('NoRecipients');
  });

  it.each([
    { ...good, messages: [] },
    { ...good, messages: undefined },
  ])('NoMessages when messages is missing or empty (%#)', async (doc) => {
    expect((await failure(doc)).code).toBe('NoMessages');
  });

  it.each([
    [{ ...good, from: 42 }, '"from"', 'a number'],
    [{ ...good, to: 'bob@contoso.com' }, '"to"', 'a string'],
    [{ ...good, cc: {} }, '"cc"', 'an object'],
    [{ ...good, to: ['bob@contoso.com', 7] }, '"to[1]"', 'a number'],
    [{ ...good, subject: ['x'] }, '"subject"', 'a list'],
    [{ ...good, conversationId: 5 }, '"conversationId"', 'a number'],
    [{ ...good, messages: 'hi' }, '"messages"', 'a string'],
    [{ ...good, messages: ['hi'] }, '"messages[0]"', 'a string'],
    [{ ...good, messages: [{ text: 5 }] }, '"messages[0].text"', 'a number'],
    [{ ...good, messages: [{ html: true }] }, '"messages[0].html"', 'a boolean'],
    [
      { ...good, messages: [{ text: 'a' }, { at: '2026-11-24T09:58:03Z' }] },
      '"messages[1]"',
      'neither',
    ],
    [{ ...good, messages: [{ text: 'a', at: 1764000000 }] }, '"messages[0].at"', 'a number'],
    [{ ...good, messages: [{ text: 'a', at: 'yesterday' }] }, '"messages[0].at"', '"yesterday"'],
    [{ ...good, messages: [{ text: 'a', at: '2026-11-24T09:58:03' }] }, '"messages[0].at"', 'zone'],
    [{ ...good, messages: [{ text: 'a', at: '2026-13-45T09:58:03Z' }] }, '"messages[0].at"', 'ISO'],
  ])('InvalidField %#: names %s and what was wrong', async (doc, field, what) => {
    const f = await failure(doc);
    expect(f.code).toBe('InvalidField');
    expect(f.message).toContain(field);
    expect(f.message).toContain(what);
  });

  it('InvalidJson when the top level is not an object', async () => {
    expect((await failure(Buffer.from('[]'))).code).toBe('InvalidJson');
  });

  it('never quotes message text in a failure', async () => {
    const f = await failure({ ...good, to: [], messages: [{ text: 'TOP SECRET' }] });
    expect(f.message).not.toContain('TOP SECRET');
    const g = await failure({ ...good, messages: [{ text: 'TOP SECRET', at: 'x' }] });
    expect(g.message).not.toContain('TOP SECRET');
  });
});
