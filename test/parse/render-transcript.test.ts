import { describe, it, expect } from 'vitest';
import {
  DEFAULT_SUBJECT,
  MAX_SUBJECT_LENGTH,
  escapeHtml,
  renderTranscriptHtml,
  subjectFor,
} from '../../src/item/render-transcript.js';
import type { SpoolItem } from '../../src/item/spool-item.js';

const base: SpoolItem = {
  id: 'a'.repeat(64),
  format: 'json',
  kind: 'offline-im',
  from: 'alice@contoso.com',
  to: ['bob@contoso.com'],
  cc: [],
  messages: [{ at: '2026-11-24T09:58:03.000Z', text: 'Are you free at 3?' }],
};
const hostile = `<script>alert("x")</script> & 'quotes'`;

describe('escapeHtml', () => {
  it('escapes &, <, >, double and single quotes', () => {
    expect(escapeHtml(`<script>&"'`)).toBe('&lt;script&gt;&amp;&quot;&#39;');
  });
});

describe('renderTranscriptHtml: JSON items', () => {
  it('lists each message with its time and sender', () => {
    const html = renderTranscriptHtml({
      ...base,
      messages: [
        { at: '2026-11-24T09:58:03.000Z', text: 'Are you free at 3?' },
        { at: '2026-11-24T09:59:10.000Z', text: 'Or at 4?' },
      ],
    });
    expect(html).toContain('2026-11-24 09:58:03 UTC');
    expect(html).toContain('2026-11-24 09:59:10 UTC');
    expect(html.match(/alice@contoso\.com/g)).toHaveLength(2);
    expect(html.indexOf('Are you free at 3?')).toBeLessThan(html.indexOf('Or at 4?'));
  });

  it('names no sender in a conversation-history transcript (each participant wrote some)', () => {
    const html = renderTranscriptHtml({
      ...base,
      kind: 'conversation-history',
      messages: [
        { at: '2026-11-24T09:58:03.000Z', text: 'Are you free at 3?' },
        { at: '2026-11-24T09:59:10.000Z', text: 'Yes!' },
      ],
    });
    expect(html).toContain('2026-11-24 09:58:03 UTC');
    expect(html).toContain('Yes!');
    expect(html).not.toContain('alice@contoso.com');
  });

  it('escapes text, turning line breaks into <br>', () => {
    const html = renderTranscriptHtml({
      ...base,
      messages: [{ text: `${hostile}\r\nline 2\nline 3` }],
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;',
    );
    expect(html).toContain('<br>\nline 2<br>\nline 3');
  });

  it('uses a message`s HTML as given when it has one', () => {
    const html = renderTranscriptHtml({
      ...base,
      messages: [{ text: 'plain', html: '<p>Hi <b>Bob</b></p>' }],
    });
    expect(html).toContain('<p>Hi <b>Bob</b></p>');
    expect(html).not.toContain('plain');
  });

  it('escapes the sender and leaves out a missing time', () => {
    const html = renderTranscriptHtml({
      ...base,
      from: `o'brien@contoso.com`,
      messages: [{ text: 'x' }],
    });
    expect(html).toContain('o&#39;brien@contoso.com');
    expect(html).not.toContain('<time');
  });

  it('is pure: the same item renders the same HTML', () => {
    expect(renderTranscriptHtml(base)).toBe(renderTranscriptHtml({ ...base }));
  });
});

describe('renderTranscriptHtml: MIME items', () => {
  const mime: SpoolItem = { ...base, format: 'mime' };

  it('sends the HTML part as it is', () => {
    const part = '<html><body><p>Caf\u00e9 &amp; more</p></body></html>';
    expect(renderTranscriptHtml({ ...mime, messages: [{ text: 'x', html: part }] })).toBe(part);
  });

  it('escapes a text-only message', () => {
    const html = renderTranscriptHtml({ ...mime, messages: [{ text: `${hostile}\nbye` }] });
    expect(html).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;<br>\nbye',
    );
  });
});

describe('subjectFor', () => {
  it('uses the given subject', () => {
    expect(subjectFor({ ...base, subject: 'Lunch & more' })).toBe('Lunch & more');
  });

  it('falls back to the first message`s first non-blank line', () => {
    expect(
      subjectFor({ ...base, messages: [{ text: '\n  Are you free at 3?\nSecond line' }] }),
    ).toBe('Are you free at 3?');
  });

  it('takes the first line of HTML without its tags and with entities decoded', () => {
    const item = {
      ...base,
      messages: [{ html: '<style>p{}</style><p>Caf&eacute; &amp; <b>cake</b>?</p><p>Next</p>' }],
    };
    expect(subjectFor(item)).toBe('Caf&eacute; & cake?');
    expect(subjectFor({ ...base, messages: [{ html: 'Hi<br>there' }] })).toBe('Hi');
  });

  it('prefers text over HTML, and HTML when the text is blank', () => {
    expect(
      subjectFor({ ...base, messages: [{ text: 'From text', html: '<p>From html</p>' }] }),
    ).toBe('From text');
    expect(subjectFor({ ...base, messages: [{ text: '  ', html: '<p>From html</p>' }] })).toBe(
      'From html',
    );
  });

  it('cuts to 255 characters, never splitting a surrogate pair', () => {
    expect(subjectFor({ ...base, messages: [{ text: 'x'.repeat(400) }] })).toHaveLength(
      MAX_SUBJECT_LENGTH,
    );
    expect(subjectFor({ ...base, subject: 's'.repeat(300) })).toHaveLength(MAX_SUBJECT_LENGTH);
    const emoji = subjectFor({ ...base, subject: `${'x'.repeat(254)}😀tail` });
    expect(emoji).toBe('x'.repeat(254));
  });

  it('keeps a subject on one line', () => {
    expect(subjectFor({ ...base, subject: 'Hi\r\nBcc: eve@evil.example' })).toBe(
      'Hi Bcc: eve@evil.example',
    );
  });

  it(`falls back to "${DEFAULT_SUBJECT}" when there is nothing to take`, () => {
    expect(subjectFor({ ...base, subject: '   ', messages: [{ html: '<img src="cid:x">' }] })).toBe(
      DEFAULT_SUBJECT,
    );
    expect(subjectFor({ ...base, messages: [] })).toBe(DEFAULT_SUBJECT);
    expect(subjectFor({ ...base, kind: 'conversation-history', messages: [] })).toBe(
      'Conversation',
    );
  });
});
