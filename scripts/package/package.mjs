#!/usr/bin/env node
// `npm run package`: the self-contained programs and the Windows Installer package of
// "Packages for workstations" (docs/deploy-windows.md), built from this clone with nothing but the
// npm registry: release/imspooler-<version>-linux-x64, release/imspooler-<version>-win-x64.exe and
// release/imspooler-<version>-x64.msi. Each step prints its time.
//
// Options: --node VERSION (the runtime inside, default below), --no-msi (skip the MSI, e.g. where
// wixl is missing), --out DIR (default release/).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from './bundle.mjs';
import { injectElf, injectPe } from './inject.mjs';
import { buildMsi } from './msi.mjs';
import { seaConfig } from './sea-config.mjs';
import { PACKAGE_NODE_VERSION, runtime } from './runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opts } = parseArgs({
  options: {
    node: { type: 'string', default: PACKAGE_NODE_VERSION },
    'no-msi': { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, 'release') },
  },
});

const withMsi = !opts['no-msi'];
// Said before anything is built: the MSI needs Debian's wixl and msibuild (msitools).
const missing = ['wixl', 'msibuild'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
);
if (withMsi && missing.length > 0) {
  process.stderr.write(
    `package: ${missing.join(' and ')} not found: apt-get install wixl msitools, or build without the MSI: npm run package -- --no-msi\n`,
  );
  process.exit(2);
}

const started = Date.now();
async function step(name, fn) {
  const t = Date.now();
  process.stdout.write(`package: ${name} ...\n`);
  const result = await fn();
  process.stdout.write(`package: ${name}: ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  return result;
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.version;
const out = opts.out;
const work = join(root, 'node_modules', '.cache', 'imspooler-package');
const build = join(work, 'build');
rmSync(build, { recursive: true, force: true });
mkdirSync(build, { recursive: true });
mkdirSync(out, { recursive: true });

await step('compile (tsc)', () =>
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
    ],
    { stdio: 'inherit' },
  ),
);
await step('bundle (esbuild)', async () => {
  for (const w of await bundle({
    entry: join(root, 'dist', 'cli', 'entry.js'),
    outfile: join(build, 'imspooler.cjs'),
    nodeTarget: `node${opts.node.split('.')[0]}`,
  })) {
    process.stdout.write(`  warning: ${w}\n`);
  }
});
const runtimes = await step(`runtimes (Node.js ${opts.node} from the npm registry)`, () => ({
  linux: runtime('linux-x64', opts.node, join(work, 'runtimes')),
  win: runtime('win-x64', opts.node, join(work, 'runtimes')),
}));
await step('single-executable blob', async () => {
  writeFileSync(join(build, 'package.json'), JSON.stringify({ name: pkg.name, version }));
  // The daemon's node flags, from the build just compiled: one list for the programs and services.
  const { DAEMON_NODE_FLAGS } = await import(
    pathToFileURL(join(root, 'dist', 'platform', 'node-flags.js')).href
  );
  writeFileSync(
    join(build, 'sea-config.json'),
    JSON.stringify(
      seaConfig({ main: 'imspooler.cjs', output: 'imspooler.blob', execArgv: DAEMON_NODE_FLAGS }),
    ),
  );
  // The blob must come from the same Node.js version as the runtimes it goes into.
  execFileSync(runtimes.linux, ['--experimental-sea-config', 'sea-config.json'], {
    cwd: build,
    stdio: 'inherit',
  });
});
const blob = join(build, 'imspooler.blob');
const linuxExe = join(out, `imspooler-${version}-linux-x64`);
const winExe = join(out, `imspooler-${version}-win-x64.exe`);
const msi = join(out, `imspooler-${version}-x64.msi`);
await step('linux-x64 program', () => injectElf(runtimes.linux, blob, linuxExe));
await step('win-x64 program (unsigned)', () => injectPe(runtimes.win, blob, winExe));
if (withMsi) {
  await step('x64 MSI (wixl)', () =>
    buildMsi({ exe: winExe, version, out: msi, work: build, root }),
  );
}
for (const f of [linuxExe, winExe, ...(withMsi ? [msi] : [])]) {
  process.stdout.write(
    `  ${relative(process.cwd(), f)}  ${(statSync(f).size / 1e6).toFixed(1)} MB\n`,
  );
}
process.stdout.write(`package: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
