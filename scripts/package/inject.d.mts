/** Types of inject.mjs, for the tests. */
export const SEA_FUSE: string;
export function lightFuse(buf: Buffer): void;
export function injectElf(runtimeFile: string, blobFile: string, outFile: string): Promise<void>;
export function injectPe(runtimeFile: string, blobFile: string, outFile: string): void;
