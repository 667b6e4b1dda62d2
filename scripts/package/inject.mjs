// Puts the single-executable blob into a copy of the Node.js runtime and lights the fuse that makes
// the runtime run it. Linux (ELF): postject. Windows (PE): resedit, which writes the blob as the
// RCDATA resource NODE_SEA_BLOB that Node.js looks for, keeps every section where the linker put it
// and moves only .reloc; postject's PE writer (LIEF) grew the section before .rsrc over the old
// resources in Node.js 24's node.exe, and that executable crashed at start.
import { readFileSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import postject from 'postject';
import * as ResEdit from 'resedit';
import { removeSignature } from './pe-signature.mjs';

/** The sentinel Node.js checks (`:0` unlit, `:1` lit); also what postject's `sentinelFuse` names. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const RT_RCDATA = 10;

/** Lights the fuse in `buf` in place; it must occur exactly once. */
export function lightFuse(buf) {
  const unlit = Buffer.from(`${SEA_FUSE}:0`);
  const at = buf.indexOf(unlit);
  if (at < 0 || buf.indexOf(unlit, at + 1) >= 0) {
    throw new Error(
      `the runtime holds the fuse ${SEA_FUSE}:0 ${at < 0 ? 'nowhere' : 'more than once'}`,
    );
  }
  buf[at + unlit.length - 1] = '1'.charCodeAt(0);
}

/** Linux: `runtimeFile` + blob -> `outFile` (mode 755). */
export async function injectElf(runtimeFile, blobFile, outFile) {
  writeFileSync(outFile, readFileSync(runtimeFile));
  await chmod(outFile, 0o755);
  // LIEF (inside postject) warns about Node's unnamed ELF notes on stderr: harmless.
  await postject.inject(outFile, 'NODE_SEA_BLOB', readFileSync(blobFile), {
    sentinelFuse: SEA_FUSE,
  });
}

/**
 * Windows: `runtimeFile` (node.exe) + blob -> `outFile`, without the Authenticode signature of the
 * official node.exe: any change to the file breaks it, and a broken signature reads as tampering.
 */
export function injectPe(runtimeFile, blobFile, outFile) {
  const exe = ResEdit.NtExecutable.from(readFileSync(runtimeFile), { ignoreCert: true });
  const res = ResEdit.NtExecutableResource.from(exe);
  res.entries.push({
    type: RT_RCDATA,
    id: 'NODE_SEA_BLOB',
    lang: 0,
    codepage: 0,
    bin: readFileSync(blobFile),
  });
  res.outputResource(exe);
  const out = Buffer.from(exe.generate());
  lightFuse(out);
  writeFileSync(outFile, removeSignature(out));
}
