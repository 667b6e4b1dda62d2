import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { packageVersion } from '../../src/cli/context.js';
import { runCli } from '../support/run-cli.js';

/** `main(argv, env, io)`: everything a command prints goes to the writers it was given. */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imspooler-cli-main-'));
  await writeFile(
    join(dir, 'here.json'),
    JSON.stringify({ stateDir: './state', delivery: { transport: 'sandbox' } }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('main(argv, env, io)', () => {
  it('--version and --help are printed to io.stdout with exit 0, nothing to the process', async () => {
    const write = vi.spyOn(process.stdout, 'write');
    try {
      expect(await runCli(['--version'], {})).toEqual({
        code: 0,
        stdout: `${packageVersion}\n`,
        stderr: '',
      });
      const help = await runCli(['--help'], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: imspooler \[options\] \[command\]/);
      expect(help.stdout).toContain('check-config');
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
  });

  it('an unknown command or option is exit 2 with commander’s message on io.stderr', async () => {
    const r = await runCli(['frobnicate'], {});
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
    const o = await runCli(['status', '--frob'], {});
    expect(o).toMatchObject({ code: 2, stdout: '' });
    expect(o.stderr).toMatch(/unknown option '--frob'/);
  });

  it('a relative --config or IMSPOOLER_CONFIG is read from io.cwd, not the test’s folder', async () => {
    const viaFlag = await runCli(['check-config', '--config', 'here.json'], {}, dir);
    expect(viaFlag.stderr).toBe('');
    expect(viaFlag.code).toBe(0);
    const viaEnv = await runCli(['check-config'], { IMSPOOLER_CONFIG: 'here.json' }, dir);
    expect(viaEnv.code).toBe(0);
    const elsewhere = await runCli(['check-config', '--config', 'here.json'], {});
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(join(process.cwd(), 'here.json'));
  });

  it('reads the environment it was given, not the process’s', async () => {
    const r = await runCli(['check-config'], { IMSPOOLER_CONFIG: join(dir, 'missing.json') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(dir, 'missing.json'));
    expect(r.stderr).toContain('IMSPOOLER_CONFIG');
  });
});
