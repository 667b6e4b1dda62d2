import { describe, expect, it } from 'vitest';
import { displayName, isUtf8Name } from '../../src/spool/file-name.js';

describe('issue 10.5: names that are not valid UTF-8 are shown, not lost', () => {
  it('keeps valid UTF-8 and shows every other byte as \\xHH', () => {
    expect(isUtf8Name(Buffer.from('café.json'))).toBe(true);
    const bad = Buffer.concat([Buffer.from('a'), Buffer.from([0xff]), Buffer.from('é.json')]);
    expect(isUtf8Name(bad)).toBe(false);
    expect(displayName(bad)).toBe('a\\xFFé.json');
    // A lead byte cut short, an overlong form, a lone continuation byte, a surrogate.
    expect(displayName(Buffer.from([0xe2, 0x82, 0x41]))).toBe('\\xE2\\x82A');
    expect(displayName(Buffer.from([0xc0, 0xaf]))).toBe('\\xC0\\xAF');
    expect(displayName(Buffer.from([0x80]))).toBe('\\x80');
    expect(displayName(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xED\\xA0\\x80');
    expect(displayName(Buffer.from('日本.json'))).toBe('日本.json');
  });
});
