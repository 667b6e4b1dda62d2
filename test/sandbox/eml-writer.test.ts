import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  buildEml,
  encodeHeaderValue,
  parseEml,
  rfc5322Date,
  type EmlMessage,
} from '../../src/sandbox/eml-writer.js';

const base: EmlMessage = {
  from: 'alice@contoso.com',
  to: ['bob@contoso.com', 'dan@contoso.com'],
  cc: [],
  subject: 'Hello',
  itemClass: 'IPM.Note.Microsoft.Missed',
  bodyType: 'HTML',
  body: '<p>Hi</p>',
  date: new Date('2026-11-24T09:58:03Z'),
  messageId: 'abc@sandbox.invalid',
  internetHeaders: { 'X-IMSpooler-Item-Id': 'abc/org' },
  folder: 'conversationhistory',
};

describe('buildEml', () => {
  it('writes an RFC 5322 message that a mail parser reads back', async () => {
    const eml = buildEml(base);
    expect(eml).toContain('Date: Tue, 24 Nov 2026 09:58:03 +0000\r\n');
    expect(eml).toContain('Content-Type: text/html; charset=utf-8\r\n');
    expect(eml).not.toMatch(/[^\r]\n/);
    const mail = await simpleParser(eml);
    expect(mail.to).toMatchObject({ text: 'bob@contoso.com, dan@contoso.com' });
    expect(mail.headers.has('cc')).toBe(false);
    expect(mail.messageId).toBe('<abc@sandbox.invalid>');
    expect(mail.headers.get('x-item-class')).toBe('IPM.Note.Microsoft.Missed');
    expect(mail.html).toBe('<p>Hi</p>');
  });

  it('encodes non-ASCII subjects (RFC 2047, short encoded words) and never lets a value break a header line', async () => {
    const subject = 'Grüße aus 日本 '.repeat(10).trim();
    const eml = buildEml({
      ...base,
      subject,
      internetHeaders: { 'X-IMSpooler-Item-Id': 'a\r\nBcc: evil@x.com' },
    });
    for (const line of eml.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    const mail = await simpleParser(eml);
    expect(mail.subject).toBe(subject);
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.headers.get('x-imspooler-item-id')).toBe('a Bcc: evil@x.com');
  });

  it('writes a text body as text/plain', async () => {
    const mail = await simpleParser(
      buildEml({ ...base, bodyType: 'Text', body: 'plain & simple' }),
    );
    expect(mail.text?.trim()).toBe('plain & simple');
  });
});

describe('parseEml reads back what buildEml wrote', () => {
  it('round-trips headers and body', () => {
    const subject = '=?UTF-8?B?not really?= – ça';
    const parsed = parseEml(buildEml({ ...base, subject, body: '<p>€ 🙂</p>' }));
    expect(parsed?.headers['subject']).toBe(subject);
    expect(parsed?.headers['x-imspooler-item-id']).toBe('abc/org');
    expect(parsed?.body).toBe('<p>€ 🙂</p>');
    expect(parsed?.bodyType).toBe('HTML');
  });

  it('keeps an ASCII subject that merely looks like an encoded word', () => {
    expect(encodeHeaderValue('=?UTF-8?B?SGk=?=')).not.toBe('=?UTF-8?B?SGk=?=');
    expect(parseEml(buildEml({ ...base, subject: '=?UTF-8?B?SGk=?=' }))?.headers['subject']).toBe(
      '=?UTF-8?B?SGk=?=',
    );
  });

  it('formats dates per RFC 5322', () => {
    expect(rfc5322Date(new Date('2027-01-03T00:00:09Z'))).toBe('Sun, 03 Jan 2027 00:00:09 +0000');
  });
});
