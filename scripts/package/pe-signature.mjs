// Removes the Authenticode signature from a Windows executable (PE/COFF). Injecting the program
// into the official node.exe changes the file, so the signature that came with it no longer
// matches (postject says "The signature seems corrupted!") and Windows would report a tampered
// file; without one, an organisation signs the program with its own certificate
// (docs/deploy-windows.md). Done here in a few lines so that the build needs no extra tool.

const SECURITY_DIRECTORY = 4;

/** Where the PE fields we touch are, or an Error saying why `buf` is not a PE file. */
function locate(buf) {
  if (buf.length < 0x40 || buf.toString('latin1', 0, 2) !== 'MZ')
    throw new Error('not an MZ/PE executable');
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error('no PE header');
  const optional = pe + 24;
  const magic = buf.readUInt16LE(optional);
  // PE32+ (64-bit) keeps its data directories 16 bytes further than PE32.
  const base = magic === 0x20b ? optional + 112 : magic === 0x10b ? optional + 96 : -1;
  if (base < 0) throw new Error(`unknown optional header magic 0x${magic.toString(16)}`);
  const count = buf.readUInt32LE(base - 4);
  return {
    checksumAt: optional + 64,
    securityAt: count > SECURITY_DIRECTORY ? base + 8 * SECURITY_DIRECTORY : -1,
  };
}

/** The PE checksum (what Windows' CheckSumMappedFile computes): 16-bit sums, folded, plus the length. */
export function peChecksum(buf, checksumAt) {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) {
    if (i === checksumAt || i === checksumAt + 2) continue;
    sum += buf.readUInt16LE(i);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (buf.length % 2 === 1) {
    sum += buf[buf.length - 1];
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + buf.length) >>> 0;
}

/** The signature's place in the file, or undefined when the file carries none. */
export function signatureOf(buf) {
  const { securityAt } = locate(buf);
  if (securityAt < 0) return undefined;
  const offset = buf.readUInt32LE(securityAt);
  const size = buf.readUInt32LE(securityAt + 4);
  return size === 0 ? undefined : { offset, size };
}

/**
 * Returns `buf` without its signature: the certificate table's directory entry cleared, the table
 * cut off when it ends the file (else overwritten with zeros: postject appends its section after
 * it), and the checksum made right again.
 */
export function removeSignature(buf) {
  const { checksumAt, securityAt } = locate(buf);
  const sig = signatureOf(buf);
  let out = Buffer.from(buf);
  if (sig !== undefined) {
    out.writeUInt32LE(0, securityAt);
    out.writeUInt32LE(0, securityAt + 4);
    if (sig.offset + sig.size >= out.length) out = out.subarray(0, sig.offset);
    else out.fill(0, sig.offset, sig.offset + sig.size);
  }
  out.writeUInt32LE(peChecksum(out, checksumAt), checksumAt);
  return out;
}
