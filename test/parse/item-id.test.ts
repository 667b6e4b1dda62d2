import { describe, it, expect } from 'vitest';
import { isValidIdPrefix, itemIdFor } from '../../src/item/item-id.js';

describe('itemIdFor', () => {
  it('is the lowercase hex SHA-256 of the bytes', () => {
    expect(itemIdFor(Buffer.from('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('gives the same ID for the same bytes, whatever buffer holds them', () => {
    const a = Buffer.from('{"from":"alice@contoso.com"}');
    const b = Buffer.from(a.toString('latin1'), 'latin1');
    expect(itemIdFor(a)).toBe(itemIdFor(b));
  });

  it('gives different IDs for different bytes, even a trailing newline', () => {
    expect(itemIdFor(Buffer.from('x'))).not.toBe(itemIdFor(Buffer.from('x\n')));
  });
});

describe('isValidIdPrefix', () => {
  it('accepts 8 to 64 lowercase hex characters', () => {
    expect(isValidIdPrefix('ba7816bf')).toBe(true);
    expect(isValidIdPrefix(itemIdFor(Buffer.from('abc')))).toBe(true);
  });

  it('rejects short, long, upper-case and non-hex prefixes', () => {
    expect(isValidIdPrefix('ba7816b')).toBe(false);
    expect(isValidIdPrefix('a'.repeat(65))).toBe(false);
    expect(isValidIdPrefix('BA7816BF')).toBe(false);
    expect(isValidIdPrefix('ba7816bg')).toBe(false);
    expect(isValidIdPrefix('')).toBe(false);
  });
});
