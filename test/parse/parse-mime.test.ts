import { describe, it, expect } from 'vitest';
import { mimeParser } from '../../src/item/parse-mime.js';

/** A MIME message from header lines and a body, with CRLF line ends as mail libraries write. */
function eml(headers: string[], body: string | Buffer = ''): Buffer {
  const head = Buffer.from(`${headers.join('\r\n')}\r\n\r\n`, 'latin1');
  return Buffer.concat([head, Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')]);
}

const envelope = [
  'From: Alice Smith <alice@contoso.com>',
  'To: Bob Jones <bob@contoso.com>',
  'Subject: Lunch?',
  'Date: Tue, 24 Nov 2026 09:58:03 +0000',
  'Message-ID: <4711@contoso.com>',
  'MIME-Version: 1.0',
];

async function parseOk(bytes: Buffer) {
  const r = await mimeParser.parse(bytes);
  if (!r.ok) throw new Error(`expected success, got ${r.code}: ${r.message}`);
  return r.item;
}

async function failure(bytes: Buffer) {
  const r = await mimeParser.parse(bytes);
  if (r.ok) throw new Error('expected a failure');
  return r;
}

describe('mimeParser.detect', () => {
  it('claims a file that starts with a header block naming From/To/Subject/...', () => {
    expect(mimeParser.detect(eml(envelope, 'hi'))).toBe(true);
    expect(
      mimeParser.detect(Buffer.from('Received: from x\n\tby y\nX-Other: 1\nSubject: s\n\nbody')),
    ).toBe(true);
    expect(mimeParser.detect(Buffer.from('MIME-Version: 1.0\n'))).toBe(true);
  });

  it('finds a telling header in a long header block within the first few KB', () => {
    const many = Array.from({ length: 60 }, (_, i) => `X-Trace-${i}: ${'x'.repeat(40)}`);
    expect(mimeParser.detect(eml([...many, 'From: a@contoso.com'], 'hi'))).toBe(true);
  });

  it('does not claim JSON, prose or headers without a telling one', () => {
    expect(mimeParser.detect(Buffer.from('{"from": "a@b.c", "to": ["x@y.z"]}'))).toBe(false);
    expect(mimeParser.detect(Buffer.from('Dear Bob,\nFrom: me\n'))).toBe(false);
    expect(mimeParser.detect(Buffer.from('X-Custom: 1\nX-Other: 2\n\nbody'))).toBe(false);
    expect(mimeParser.detect(Buffer.from('\nFrom: a@b.c\n'))).toBe(false);
    expect(mimeParser.detect(Buffer.alloc(0))).toBe(false);
  });
});

describe('mimeParser.parse: accepted messages', () => {
  it('extracts the envelope and a plain text body', async () => {
    const item = await parseOk(
      eml([...envelope, 'Cc: sip:carol@fabrikam.com'], 'Are you free at 3?\r\n'),
    );
    expect(item).toMatchObject({
      format: 'mime',
      from: 'alice@contoso.com',
      to: ['bob@contoso.com'],
      subject: 'Lunch?',
      messageId: '<4711@contoso.com>',
      date: '2026-11-24T09:58:03.000Z',
    });
    expect(item.messages).toHaveLength(1);
    expect(item.messages[0]).toMatchObject({ at: '2026-11-24T09:58:03.000Z' });
    expect(item.messages[0]?.text?.trim()).toBe('Are you free at 3?');
    expect(item.messages[0]?.html).toBeUndefined();
  });

  it('accepts recipients in Cc only, and flattens groups', async () => {
    const headers = envelope.filter((h) => !h.startsWith('To:'));
    const item = await parseOk(
      eml([...headers, 'Cc: Team: dan@contoso.com, erin@contoso.com;'], 'hi'),
    );
    expect(item.to).toEqual([]);
    expect(item.cc).toEqual(['dan@contoso.com', 'erin@contoso.com']);
  });

  it('decodes iso-8859-1 quoted-printable text and an encoded-word subject', async () => {
    const item = await parseOk(
      eml(
        [
          ...envelope.filter((h) => !h.startsWith('Subject:')),
          'Subject: =?ISO-8859-1?Q?Caf=E9_&_cr=E8me?=',
          'Content-Type: text/plain; charset=iso-8859-1',
          'Content-Transfer-Encoding: quoted-printable',
        ],
        'Caf=E9 & cr=E8me br=FBl=E9e =\r\nat 3?\r\n',
      ),
    );
    expect(item.subject).toBe('Café & crème');
    expect(item.messages[0]?.text?.trim()).toBe('Café & crème brûlée at 3?');
  });

  it('decodes 8-bit windows-1252 text', async () => {
    const body = Buffer.from([0x80, 0x20, 0x35, 0x20, 0x93, 0x71, 0x75, 0x6f, 0x74, 0x65, 0x94]);
    const item = await parseOk(
      eml(
        [
          ...envelope,
          'Content-Type: text/plain; charset=windows-1252',
          'Content-Transfer-Encoding: 8bit',
        ],
        body,
      ),
    );
    expect(item.messages[0]?.text?.trim()).toBe('€ 5 “quote”');
  });

  it('decodes base64 UTF-8 text', async () => {
    const text = 'Grüße aus Zürich — 日本語 😀';
    const item = await parseOk(
      eml(
        [
          ...envelope,
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: base64',
        ],
        Buffer.from(text).toString('base64').replace(/.{76}/g, '$&\r\n'),
      ),
    );
    expect(item.messages[0]?.text?.trim()).toBe(text);
  });

  it('keeps both parts of multipart/alternative in one message', async () => {
    const body = [
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello *Bob*',
      '--b1',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Hello <b>Bob</b> &amp; all</p>',
      '--b1--',
      '',
    ].join('\r\n');
    const item = await parseOk(
      eml([...envelope, 'Content-Type: multipart/alternative; boundary="b1"'], body),
    );
    expect(item.messages).toHaveLength(1);
    expect(item.messages[0]?.text?.trim()).toBe('Hello *Bob*');
    expect(item.messages[0]?.html?.trim()).toBe('<p>Hello <b>Bob</b> &amp; all</p>');
  });

  it('takes an HTML-only message without inventing a text part', async () => {
    const item = await parseOk(
      eml([...envelope, 'Content-Type: text/html; charset=utf-8'], '<p>Hi</p>'),
    );
    expect(item.messages[0]?.html?.trim()).toBe('<p>Hi</p>');
    expect(item.messages[0]?.text).toBeUndefined();
  });

  it('leaves out a Date it cannot read rather than stamping the current time', async () => {
    const headers = envelope.filter((h) => !h.startsWith('Date:'));
    const noDate = await parseOk(eml(headers, 'hi'));
    expect(noDate.date).toBeUndefined();
    expect(noDate.messages[0]?.at).toBeUndefined();
    const badDate = await parseOk(eml([...headers, 'Date: sometime soon'], 'hi'));
    expect(badDate.date).toBeUndefined();
  });

  it('accepts LF-only line ends and a sip: prefix in a header', async () => {
    const bytes = Buffer.from(
      'From: <sip:alice@contoso.com>\nTo: bob@contoso.com\nSubject: x\n\nhi\n',
    );
    const item = await parseOk(bytes);
    expect(item.from).toBe('alice@contoso.com');
  });
});

describe('mimeParser.parse: rejected messages', () => {
  it('MissingSender without a From address', async () => {
    const f = await failure(
      eml(
        envelope.filter((h) => !h.startsWith('From:')),
        'hi',
      ),
    );
    expect(f.code).toBe('MissingSender');
  });

  it('NoRecipients without To or Cc', async () => {
    const f = await failure(
      eml(
        envelope.filter((h) => !h.startsWith('To:')),
        'hi',
      ),
    );
    expect(f.code).toBe('NoRecipients');
  });

  it('NoRecipients for an empty group', async () => {
    const headers = [
      ...envelope.filter((h) => !h.startsWith('To:')),
      'To: undisclosed-recipients:;',
    ];
    expect((await failure(eml(headers, 'hi'))).code).toBe('NoRecipients');
  });

  it.each([
    ['no body at all', eml(envelope)],
    ['white space only', eml(envelope, '  \r\n\r\n')],
    [
      'an HTML part with no visible text',
      eml([...envelope, 'Content-Type: text/html'], '<p>&nbsp;</p>'),
    ],
  ])('EmptyBody with %s', async (_name, bytes) => {
    expect((await failure(bytes)).code).toBe('EmptyBody');
  });

  it('InvalidAddress names the header and the value', async () => {
    const headers = [...envelope.filter((h) => !h.startsWith('To:')), 'To: bob@contoso'];
    const f = await failure(eml(headers, 'secret body'));
    expect(f.code).toBe('InvalidAddress');
    expect(f.message).toContain('"To"');
    expect(f.message).toContain('bob@contoso');
    expect(f.message).not.toContain('secret body');
  });

  it('InvalidMime when mailparser gives up (a header block over its limit)', async () => {
    const huge = `X-Huge: ${'a'.repeat(2 * 1024 * 1024)}`;
    const f = await failure(eml([...envelope, huge], 'hi'));
    expect(f.code).toBe('InvalidMime');
  });
});
