import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { jsonItem, makeWorld, type World } from './harness.js';

/**
 * What a new support engineer tripped over following docs/operations.md (issue 11, "What a
 * newcomer tripped over"), each through the real CLI and daemon.
 */
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The CLI with this environment only (no IMSPOOLER_CONFIG unless given). */
const cli = (env: NodeJS.ProcessEnv, ...args: string[]) => runCli(args, env);

describe('what a newcomer tripped over (issue 11)', () => {
  it('an empty status and an unknown item name the state folder and the config file they read', async () => {
    world = await makeWorld();
    const status = await world.cli('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `queue read from ${world.stateDir} (config: ${world.configPath})`,
    );
    const json = JSON.parse((await world.cli('status', '--json')).stdout) as {
      readFrom: unknown;
    };
    expect(json.readFrom).toEqual({ stateDir: world.stateDir, configFile: world.configPath });
    const show = await world.cli('show', '0123456789ab');
    expect(show.code).toBe(2);
    expect(show.stderr.trim().split('\n')).toHaveLength(1);
    expect(show.stderr).toContain('no item with ID 0123456789ab');
    expect(show.stderr).toContain(
      `queue read from ${world.stateDir} (config: ${world.configPath})`,
    );
    // A malformed ID is a typing error, not a wrong queue: no location.
    expect((await world.cli('show', 'xyz')).stderr).not.toContain('queue read from');
  });

  it('check-config --probe with the password variable unset gives one verdict: the error, exit 2', async () => {
    world = await makeWorld();
    const env = { ...world.env };
    delete env.IMSPOOLER_EWS_PASSWORD;
    const r = await cli(env, 'check-config', '--probe');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('IMSPOOLER_EWS_PASSWORD');
    // Without --probe the config is valid, and the missing variable is a warning beside it.
    const plain = await cli(env, 'check-config');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^config OK \(1 warning\): /);
    expect(plain.stdout).toMatch(/^warning: IMSPOOLER_EWS_PASSWORD .* is not set here/m);
  });

  it('check-config accepts a spool folder that does not exist yet, and says so', async () => {
    world = await makeWorld();
    const missing = join(world.dir, 'not-yet', 'History Spooler');
    const file = join(world.dir, 'later.json');
    await writeFile(
      file,
      JSON.stringify({ spool: { paths: [missing] }, delivery: { transport: 'sandbox' } }),
    );
    const r = await world.cli('check-config', '--config', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^config OK \(1 warning\): /);
    expect(r.stdout).toContain(`warning: spool folder ${missing} does not exist (yet)`);
    // The configured folder that exists gives no warning.
    const ok = await world.cli('check-config');
    expect(ok.stdout).not.toContain('warning');
  });

  it('a refused sign-in names the user and the password variable (never the password) in the log and in show', async () => {
    world = await makeWorld({}, { http401: true });
    const d = world.start();
    await d.waitForLine((l) => l.event?.action === 'daemon.started', 'daemon.started');
    await world.drop('a.json', jsonItem(1, ['bob@contoso.com']));
    const line = await d.waitForLine(
      (l) => l.event?.action === 'delivery.deferred',
      'delivery.deferred',
    );
    const expected =
      'HTTP 401 Unauthorized: the server refused user CONTOSO\\alice, password from the environment variable IMSPOOLER_EWS_PASSWORD';
    expect(line.error).toEqual({ code: 'Http401', message: expected });
    const show = await world.cli('show', line.imspooler!.item!.id!.slice(0, 12));
    expect(show.stdout).toContain(`error     Http401: ${expected}`);
    for (const text of [JSON.stringify(d.lines), show.stdout])
      expect(text).not.toContain(world.env.IMSPOOLER_EWS_PASSWORD!);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  }, 30_000);
});
