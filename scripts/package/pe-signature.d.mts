/** Types of pe-signature.mjs, for the tests. */
export function peChecksum(buf: Buffer, checksumAt: number): number;
export function signatureOf(buf: Buffer): { offset: number; size: number } | undefined;
export function removeSignature(buf: Buffer): Buffer;
