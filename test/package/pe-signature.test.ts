import { describe, expect, it } from 'vitest';
import { peChecksum, removeSignature, signatureOf } from '../../scripts/package/pe-signature.mjs';

const PE_AT = 0x80;
const OPTIONAL_AT = PE_AT + 24;
const CHECKSUM_AT = OPTIONAL_AT + 64;
const SECURITY_AT = OPTIONAL_AT + 112 + 4 * 8;

/** A minimal PE32+ image: headers, some body, and optionally a certificate table at `certAt`. */
function fakePe(body: number, cert?: { at: 'end' | 'middle'; size: number }): Buffer {
  const headers = 0x200;
  const certSize = cert?.size ?? 0;
  const buf = Buffer.alloc(headers + body + certSize + (cert?.at === 'middle' ? 64 : 0), 0x5a);
  buf.fill(0, 0, headers);
  buf.write('MZ', 0, 'latin1');
  buf.writeUInt32LE(PE_AT, 0x3c);
  buf.write('PE\0\0', PE_AT, 'latin1');
  buf.writeUInt16LE(0x20b, OPTIONAL_AT);
  buf.writeUInt32LE(16, OPTIONAL_AT + 108);
  if (cert !== undefined) {
    const offset = headers + body;
    buf.fill(0xc3, offset, offset + certSize);
    buf.writeUInt32LE(offset, SECURITY_AT);
    buf.writeUInt32LE(certSize, SECURITY_AT + 4);
  }
  buf.writeUInt32LE(peChecksum(buf, CHECKSUM_AT), CHECKSUM_AT);
  return buf;
}

describe('removing the Authenticode signature of the Windows program', () => {
  it('cuts a certificate table that ends the file and clears its directory entry', () => {
    const signed = fakePe(1000, { at: 'end', size: 96 });
    expect(signatureOf(signed)).toEqual({ offset: 0x200 + 1000, size: 96 });
    const out = removeSignature(signed);
    expect(out.length).toBe(0x200 + 1000);
    expect(signatureOf(out)).toBeUndefined();
    expect(out.readUInt32LE(SECURITY_AT)).toBe(0);
    expect(out.readUInt32LE(CHECKSUM_AT)).toBe(peChecksum(out, CHECKSUM_AT));
  });

  it('zeroes a table that data was appended after (as when a blob is injected), keeping the rest', () => {
    const signed = fakePe(1000, { at: 'middle', size: 96 });
    const out = removeSignature(signed);
    expect(out.length).toBe(signed.length);
    expect(out.subarray(0x200 + 1000, 0x200 + 1096).every((b) => b === 0)).toBe(true);
    expect(out.subarray(-64)).toEqual(signed.subarray(-64));
    expect(signatureOf(out)).toBeUndefined();
  });

  it('leaves an unsigned file as it is, with a right checksum', () => {
    const plain = fakePe(777);
    expect(removeSignature(plain)).toEqual(plain);
  });

  it('refuses what is not a PE file', () => {
    expect(() => removeSignature(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(200)))).toThrow(/MZ/);
  });
});
