import { describe, it, expect } from 'vitest';
import { cleanText, cut, cutLeft } from '../../src/text/terminal-text.js';

describe('terminal text', () => {
  it('replaces C0, DEL and C1 control characters, by ? unless told otherwise', () => {
    expect(cleanText('a\u001b[31mb\u007fc\u0085d')).toBe('a?[31mb?c?d');
    expect(cleanText('a\nb', ' ')).toBe('a b');
  });

  it('cuts to the column with an ellipsis, keeping the start or the end', () => {
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abc', 4)).toBe('abc');
    expect(cutLeft('offline-0001.json', 8)).toBe('…01.json');
  });
});
