#!/usr/bin/env node
// `npm start` runs the daemon on config/default.json: make sure its sample spool folder exists
// so a newcomer can drop config/samples/* into it right away.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!process.env.IMSPOOLER_CONFIG) {
  const spool = join(root, 'var', 'spool');
  mkdirSync(spool, { recursive: true, mode: 0o700 });
  process.stderr.write(
    `imspooler demo: drop a sample into the spool folder, e.g.\n  cp config/samples/offline-im.json var/spool/\n` +
      `and watch it arrive in var/sandbox-mailbox/ after the 15 s grace period.\n`,
  );
}
