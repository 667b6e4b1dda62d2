import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

// `npm run cycles` is the evidence for "no import cycle" (issue 12): a script that could never
// fail would prove nothing, so it is run on small trees that have cycles and trees that do not.
const run = promisify(execFile);
const script = path.resolve('scripts/check-cycles.mjs');

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), 'cycles-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

async function check(root: string, ...flags: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [script, root, ...flags]);
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

describe('scripts/check-cycles.mjs', () => {
  it('names every file of a cycle across folders and fails', async () => {
    const root = await tree({
      'a/one.ts': "import { two } from '../b/two.js';\nexport const one = () => two();\n",
      'b/two.ts': "import { three } from './three.js';\nexport const two = () => three();\n",
      'b/three.ts': "import { one } from '../a/one.js';\nexport const three = () => one;\n",
      'c/alone.ts': "import { one } from '../a/one.js';\nexport const alone = one;\n",
    });
    const { code, out } = await check(root);
    expect(code).toBe(1);
    expect(out).toContain('1 import cycle(s)');
    expect(out).toContain('a/one.ts <-> b/three.ts <-> b/two.ts');
    expect(out).not.toContain('alone');
  });

  it('counts a type-only cycle, unless only run-time imports are asked for', async () => {
    const root = await tree({
      'x.ts': "import type { Y } from './y.js';\nexport interface X { y?: Y }\n",
      'y.ts': "import { type X } from './x.js';\nexport interface Y { x?: X }\n",
    });
    expect((await check(root)).code).toBe(1);
    const runtime = await check(root, '--runtime');
    expect(runtime.code).toBe(0);
    expect(runtime.out).toContain('no run-time import cycle');
  });

  it('passes a tree without cycles, dynamic imports included', async () => {
    const root = await tree({
      'main.ts':
        "import { leaf } from './leaf.js';\nexport const lazy = () => import('./late.js');\nleaf();\n",
      'leaf.ts': 'export const leaf = () => 1;\n',
      'late.ts': "import { leaf } from './leaf.js';\nexport const late = leaf;\n",
    });
    const { code, out } = await check(root);
    expect(code).toBe(0);
    expect(out).toContain('no import cycle');
  });
});
