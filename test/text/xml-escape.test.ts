import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { stripIllegalXmlChars, xmlEscape, xmlEscapeText } from '../../src/text/xml-escape.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  trimValues: false,
});

describe('xmlEscape', () => {
  it('escapes the five XML specials', () => {
    expect(xmlEscape(`Tom & Jerry <b> "q" 'a'`)).toBe(
      'Tom &amp; Jerry &lt;b&gt; &quot;q&quot; &apos;a&apos;',
    );
  });

  it('escapes an existing entity again (values are escaped exactly once, by the transport)', () => {
    expect(xmlEscape('&amp;')).toBe('&amp;amp;');
  });

  it('keeps non-ASCII text, emoji (surrogate pairs), tabs and newlines', () => {
    expect(xmlEscape('café 日本 😀\t\r\n')).toBe('café 日本 😀\t\r\n');
  });

  it('drops control characters, U+FFFE/U+FFFF and lone surrogates', () => {
    expect(stripIllegalXmlChars('a\u0000b\u0007c\u000Bd\u001Fe\uFFFEf\uFFFF')).toBe('abcdef');
    expect(stripIllegalXmlChars('x\uD800y\uDC00z')).toBe('xyz');
    expect(stripIllegalXmlChars('\uDBFF')).toBe('');
    expect(stripIllegalXmlChars('😀')).toBe('😀');
  });

  it('any string becomes well-formed element text and attribute value that reads back the same', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const escaped = xmlEscape(s);
        const doc = `<r a="${escaped}" b='${escaped}'>${escaped}</r>`;
        expect(XMLValidator.validate(doc)).toBe(true);
        const clean = stripIllegalXmlChars(s);
        const r = parser.parse(doc).r;
        // Parsers normalise line ends in text and whitespace in attributes; compare modulo that.
        const text = typeof r === 'object' ? (r['#text'] ?? '') : r;
        expect(String(text)).toBe(clean.replace(/\r\n?/g, '\n'));
      }),
      { numRuns: 150 },
    );
  });
});

describe('xmlEscapeText', () => {
  it('escapes & < > for element text and leaves quotes readable', () => {
    expect(xmlEscapeText(`/opt/"a" & 'b' <c>`)).toBe(`/opt/"a" &amp; 'b' &lt;c&gt;`);
  });
});
