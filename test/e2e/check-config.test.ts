import { afterEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.js';
import { makeWorld, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('imspooler check-config', () => {
  it('accepts a valid config and --probe makes one authenticated EWS call', async () => {
    world = await makeWorld();
    const plain = await world.cli('check-config');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('config OK');
    const before = world.sandbox.stats.requests;
    const probe = await world.cli('check-config', '--probe');
    expect(probe.stderr).toBe('');
    expect(probe.code).toBe(0);
    expect(probe.stdout).toMatch(/probe OK/);
    expect(world.sandbox.stats.requests).toBeGreaterThan(before);
  });

  it('--probe with a wrong password fails with exit 1 and one readable line, without the password', async () => {
    world = await makeWorld();
    const r = await world.cli('check-config', '--probe', '--config', world.configPath);
    expect(r.code).toBe(0);
    const env = { ...world.env, IMSPOOLER_EWS_PASSWORD: 'not-the-password' };
    const bad = await runCli(['check-config', '--probe'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/401|Authentication/i);
    expect(bad.stderr).not.toContain('not-the-password');
  });

  it('names every bad key, the value and what is allowed, with exit code 2', async () => {
    world = await makeWorld();
    const file = join(world.dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({
        delivery: { transport: 'carrier-pigeon', concurrency: 0 },
        spool: { grace: 'soon' },
        colour: 1,
      }),
    );
    const r = await world.cli('check-config', '--config', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/delivery\.transport: "carrier-pigeon"/);
    expect(r.stderr).toMatch(/delivery\.concurrency: 0/);
    expect(r.stderr).toMatch(/spool\.grace: "soon"/);
    expect(r.stderr).toMatch(/colour: unknown key/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  });
});
