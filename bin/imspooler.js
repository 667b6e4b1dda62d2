#!/usr/bin/env node
// Thin launcher: the compiled entry point lives in dist/ (built by `npm ci` through `prepare`).
// npm scripts and `npx` run this with the project's own runtime (the `node` dependency); a bare
// `node bin/imspooler.js` may find an older system Node, so say so plainly instead of failing
// later on a missing built-in such as node:sqlite. Plain JavaScript and only old built-ins up to the
// dynamic import, so any Node.js gets as far as the refusal.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `imspooler: needs Node.js 22.13 or later, this is ${process.version}; ` +
      'run it as `npx imspooler` from the repository (which uses the Node.js it installs) ' +
      'or use the self-contained program\n',
  );
  process.exit(1);
}

// dist/cli/entry.js runs `main(process.argv, process.env, the process's streams)` and sets the exit code.
const entry = new URL('../dist/cli/entry.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('imspooler: not built yet; run `npm run build` (or `npm ci`) first\n');
  process.exit(1);
}
await import(entry.href);
