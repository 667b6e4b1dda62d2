import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectElf } from '../../scripts/package/inject.mjs';
import { seaConfig } from '../../scripts/package/sea-config.mjs';
import { DAEMON_NODE_FLAGS } from '../../src/platform/node-flags.js';

describe('the single-executable config', () => {
  it('starts the program with the young-generation cap', () => {
    const config = seaConfig({ main: 'm.cjs', output: 'm.blob', execArgv: DAEMON_NODE_FLAGS });
    expect(config.execArgv).toEqual(['--max-semi-space-size=8']);
    expect(config).toMatchObject({ main: 'm.cjs', output: 'm.blob', useSnapshot: false });
  });
});

// The same steps as `npm run package`, with this repository's own Node.js as the runtime (no
// download): the program reads the flags from its blob, and V8 applies them.
describe.runIf(process.platform === 'linux')('a program built with it (Linux)', () => {
  let dir = '';
  let report: { execArgv: string[]; maxNewSpace: number } = { execArgv: [], maxNewSpace: 0 };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imspooler-sea-'));
    // Allocates short-lived objects until the young generation has grown as far as it may.
    writeFileSync(
      join(dir, 'm.cjs'),
      `const v8 = require('node:v8');
let max = 0, keep = [];
for (let i = 0; i < 4e6; i++) {
  keep.push({ i, s: 'x' + i });
  if (keep.length > 2e5) keep = [];
  if (i % 1e5 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
}
console.log(JSON.stringify({ execArgv: process.execArgv, maxNewSpace: max }));
`,
    );
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(
      join(dir, 'sea.json'),
      JSON.stringify(seaConfig({ main: 'm.cjs', output: 'm.blob', execArgv: DAEMON_NODE_FLAGS })),
    );
    execFileSync(process.execPath, ['--experimental-sea-config', 'sea.json'], { cwd: dir });
    const runtime = join(dir, 'runtime');
    copyFileSync(process.execPath, runtime);
    await injectElf(runtime, join(dir, 'm.blob'), join(dir, 'program'));
    report = JSON.parse(
      execFileSync(join(dir, 'program'), { encoding: 'utf8', env: {} }),
    ) as typeof report;
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs with the flags of the config', () => {
    expect(report.execArgv).toEqual(['--max-semi-space-size=8']);
  });

  it('keeps the young generation within the cap (the same script grows it to 128 MB without)', () => {
    // New space is the two semi-spaces of at most 8 MB each (16 MB measured); the margin is for
    // V8's own page accounting, far below the uncapped 128 MB.
    expect(report.maxNewSpace).toBeGreaterThan(0);
    expect(report.maxNewSpace).toBeLessThan(32 * 1024 * 1024);
  });
});
