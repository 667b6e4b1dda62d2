#!/usr/bin/env node
// Thin launcher: the compiled entry point lives in dist/ (built by `npm ci` through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('imspooler: not built yet; run `npm run build` (or `npm ci`) first\n');
  process.exit(1);
}
await import(entry.href);
