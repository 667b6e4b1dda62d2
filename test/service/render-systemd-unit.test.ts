import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSystemdUnit } from '../../src/service/render-systemd-unit.js';
import type { ServiceSpec } from '../../src/service/service-spec.js';
import {
  systemdEnvAssignment,
  systemdExecArg,
  systemdExecPath,
  systemdPath,
} from '../../src/service/systemd-escape.js';

const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const hasSystemdAnalyze = existsSync(SYSTEMD_ANALYZE);

/** `Key=value` lines of one section, in order. */
function section(unit: string, name: string): [string, string][] {
  const start = unit.indexOf(`[${name}]\n`);
  if (start < 0) return [];
  const body = unit.slice(start + name.length + 3).split(/\n\[/)[0] ?? '';
  return body
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}
const values = (unit: string, sec: string, key: string): string[] =>
  section(unit, sec)
    .filter(([k]) => k === key)
    .map(([, v]) => v);

const spec: ServiceSpec = {
  nodePath: '/usr/bin/node',
  cliPath: '/home/alice/R&D 100%/imspooler/bin/imspooler.js',
  configFile: '/home/alice/R&D 100%/imspooler/config/$prod "eu".json',
  workingDir: '/home/alice/R&D 100%/imspooler',
  env: { IMSPOOLER__LOG__LEVEL: 'debug', ODD: 'a b%c$d' },
};

describe('systemd user unit', () => {
  const unit = renderSystemdUnit(spec);

  it('orders after the network and starts with the user session', () => {
    expect(values(unit, 'Unit', 'Description')[0]).toMatch(/imspooler/);
    expect(values(unit, 'Unit', 'Documentation')).toEqual([
      'file:///home/alice/R%%26D%%20100%%25/imspooler/docs/service.md',
    ]);
    expect(values(unit, 'Unit', 'After')).toEqual(['network-online.target']);
    expect(values(unit, 'Unit', 'Wants')).toEqual(['network-online.target']);
    expect(values(unit, 'Install', 'WantedBy')).toEqual(['default.target']);
  });

  it('runs the daemon in the foreground and restarts it on failure', () => {
    const one = (key: string) => values(unit, 'Service', key);
    expect(one('Type')).toEqual(['simple']);
    expect(one('Restart')).toEqual(['on-failure']);
    expect(one('RestartSec')).toEqual(['10s']);
    expect(one('KillSignal')).toEqual(['SIGTERM']);
    expect(one('TimeoutStopSec')).toEqual(['30']);
    expect(one('StandardOutput')).toEqual(['journal']);
    expect(one('StandardError')).toEqual(['journal']);
    expect(one('NoNewPrivileges')).toEqual(['yes']);
  });

  it('only uses hardening that works in user units', () => {
    for (const key of [
      'PrivateTmp',
      'ProtectSystem',
      'ProtectHome',
      'User',
      'MemoryDenyWriteExecute',
    ]) {
      expect(values(unit, 'Service', key)).toEqual([]);
    }
  });

  it('escapes spaces, quotes, % and $ in the command line, with the young-generation cap before the script', () => {
    expect(values(unit, 'Service', 'ExecStart')).toEqual([
      '/usr/bin/node --max-semi-space-size=8 "/home/alice/R&D 100%%/imspooler/bin/imspooler.js" run --config ' +
        '"/home/alice/R&D 100%%/imspooler/config/$$prod \\"eu\\".json"',
    ]);
    expect(values(unit, 'Service', 'WorkingDirectory')).toEqual([
      '/home/alice/R&D 100%%/imspooler',
    ]);
  });

  it('sets IMSPOOLER_CONFIG and the extra variables, quoted with % doubled', () => {
    expect(values(unit, 'Service', 'Environment')).toEqual([
      '"IMSPOOLER__LOG__LEVEL=debug"',
      '"ODD=a b%%c$d"',
      '"IMSPOOLER_CONFIG=/home/alice/R&D 100%%/imspooler/config/$prod \\"eu\\".json"',
    ]);
  });

  it('escapes single words as systemd reads them', () => {
    expect(systemdExecArg('plain')).toBe('plain');
    expect(systemdExecArg('')).toBe('""');
    expect(systemdExecArg('a\\b')).toBe('"a\\\\b"');
    expect(systemdExecArg("it's;")).toBe('"it\'s;"');
    expect(systemdExecPath('/opt/$x/node')).toBe('/opt/$x/node');
    expect(systemdEnvAssignment('A', 'x\\"y')).toBe('"A=x\\\\\\"y"');
    expect(() => systemdPath('/a\\')).toThrow(/backslash/);
  });
});

interface Run {
  code: number;
  output: string;
}
const analyze = (args: string[], env: NodeJS.ProcessEnv): Promise<Run> =>
  new Promise((resolve) => {
    execFile(SYSTEMD_ANALYZE, args, { env, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });

describe(`systemd-analyze verify (needs ${SYSTEMD_ANALYZE})`, () => {
  if (!hasSystemdAnalyze)
    console.warn(`skipping systemd-analyze checks: ${SYSTEMD_ANALYZE} not found`);

  let root = '';
  let unitSpec: ServiceSpec;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imspooler-unit-'));
    // The executable itself sits under a path with a space, & and %: systemd must find it.
    const odd = join(root, 'R&D 100% $x');
    await mkdir(join(odd, 'bin'), { recursive: true });
    await symlink(process.execPath, join(odd, 'bin', 'node'));
    await writeFile(join(odd, 'bin', 'imspooler.js'), '');
    unitSpec = {
      nodePath: join(odd, 'bin', 'node'),
      cliPath: join(odd, 'bin', 'imspooler.js'),
      configFile: join(odd, 'config.json'),
      workingDir: odd,
      env: { ODD: 'a b%c$d' },
    };
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /**
   * Verifies a unit file as a user unit. In a container the user manager may not start (no runtime
   * directory or user bus): that is the environment, not the unit, so it falls back to the system
   * manager's checks, which parse the same file with the same rules. Unit problems surface as lines
   * naming the file, even when the exit code stays 0 (unknown keys are only warnings).
   */
  async function verify(unitText: string): Promise<string[]> {
    const dir = await mkdtemp(join(root, 'verify-'));
    const file = join(dir, 'imspooler.service');
    await writeFile(file, unitText);
    const runtime = join(dir, 'runtime');
    await mkdir(runtime, { mode: 0o700 });
    let run = await analyze(['--user', 'verify', file], {
      ...process.env,
      XDG_RUNTIME_DIR: runtime,
      SYSTEMD_LOG_COLOR: '0',
    });
    if (run.code !== 0 && /Failed to initialize manager|bus|RuntimeDirectory/i.test(run.output)) {
      run = await analyze(['verify', file], { ...process.env, SYSTEMD_LOG_COLOR: '0' });
    }
    const problems = run.output.split('\n').filter((l) => l.includes('imspooler.service'));
    if (run.code !== 0 && problems.length === 0) problems.push(run.output.trim());
    return problems;
  }

  it.skipIf(!hasSystemdAnalyze)('accepts the rendered unit', async () => {
    expect(await verify(renderSystemdUnit(unitSpec))).toEqual([]);
  });

  it.skipIf(!hasSystemdAnalyze)('would notice a broken unit', async () => {
    const broken = renderSystemdUnit(unitSpec).replace(
      'NoNewPrivileges=yes',
      'NoNewPrivilege=maybe',
    );
    expect((await verify(broken)).join('\n')).toMatch(/NoNewPrivilege/);
    const missing = renderSystemdUnit({ ...unitSpec, nodePath: join(root, 'no such', 'node') });
    expect((await verify(missing)).join('\n')).toMatch(/not executable|No such file/);
  });
});
