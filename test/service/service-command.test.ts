import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUsageError } from '../../src/errors/errors.js';
import { realFs } from '../../src/platform/fs-seam.js';
import type { CommandResult } from '../../src/service/run-command.js';
import {
  parseServiceAction,
  parseServicePlatform,
  runServiceCommand,
  type ServiceDeps,
  type ServiceOptions,
} from '../../src/service/service-command.js';
import { parsePlist, parseXml } from './xml-helpers.js';

let home = '';
let calls: string[][] = [];
let output: string[] = [];
let answer: (cmd: string, args: string[]) => CommandResult | Promise<CommandResult>;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'imspooler-home-'));
  calls = [];
  output = [];
  answer = () => ({ code: 0, stdout: '', stderr: '' });
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const deps = (nodePlatform: string, extra: Partial<ServiceDeps> = {}): ServiceDeps => ({
  out: (t) => output.push(t),
  runCommand: async (cmd, args) => {
    calls.push([cmd, ...args]);
    return answer(cmd, args);
  },
  fs: realFs,
  homeDir: home,
  nodePath: '/usr/bin/node',
  cliPath: '/opt/imspooler app/bin/imspooler.js',
  uid: 501,
  user: 'alice',
  tmpDir: home,
  nodePlatform,
  ...extra,
});

const opts = (extra: Partial<ServiceOptions> = {}): ServiceOptions => ({
  configFile: '/opt/imspooler app/config/prod.json',
  transport: 'ews',
  ...extra,
});

const unitPath = () => join(home, '.config', 'systemd', 'user', 'imspooler.service');
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

async function usageError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isUsageError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a UsageError');
}

describe('service print', () => {
  it('renders another platform’s definition on this one', async () => {
    await runServiceCommand('print', opts({ platform: 'windows' }), deps('linux'));
    const task = parseXml(output.join('\n')).Task as Record<string, unknown>;
    expect(task).toBeDefined();
    output = [];
    await runServiceCommand('print', opts({ platform: 'macos' }), deps('win32'));
    expect(parsePlist(output.join('\n')).Label).toBe('com.imspooler.daemon');
    expect(calls).toEqual([]);
  });

  it('defaults to this platform and starts in the package folder', async () => {
    await runServiceCommand('print', opts(), deps('linux'));
    const text = output.join('\n');
    expect(text).toMatch(/^\[Unit\]/);
    expect(text).toContain('WorkingDirectory=/opt/imspooler app\n');
    expect(text).toContain(
      'ExecStart=/usr/bin/node --max-semi-space-size=8 "/opt/imspooler app/bin/imspooler.js" run --config',
    );
  });

  it('asks for --platform where there is no service manager it knows', async () => {
    expect(await usageError(runServiceCommand('print', opts(), deps('aix')))).toMatch(/--platform/);
  });
});

describe('service install', () => {
  it('refuses the sandbox transport unless allowed, touching nothing', async () => {
    const message = await usageError(
      runServiceCommand('install', opts({ transport: 'sandbox' }), deps('linux')),
    );
    expect(message).toMatch(/sandbox/);
    expect(message).toMatch(/--allow-sandbox/);
    expect(calls).toEqual([]);
    expect(await exists(unitPath())).toBe(false);

    await runServiceCommand(
      'install',
      opts({ transport: 'sandbox', allowSandbox: true }),
      deps('linux'),
    );
    expect(await exists(unitPath())).toBe(true);
  });

  it('refuses another platform than this one', async () => {
    const message = await usageError(
      runServiceCommand('install', opts({ platform: 'macos' }), deps('linux')),
    );
    expect(message).toMatch(/service print --platform macos/);
    expect(calls).toEqual([]);
  });

  it('refuses a relative config path', async () => {
    await usageError(
      runServiceCommand('install', opts({ configFile: 'config/x.json' }), deps('linux')),
    );
  });

  it('on Linux writes the user unit, reloads systemd and enables the service now', async () => {
    await runServiceCommand('install', opts(), deps('linux'));
    const unit = await readFile(unitPath(), 'utf8');
    expect(unit).toContain('Environment="IMSPOOLER_CONFIG=/opt/imspooler app/config/prod.json"');
    expect(calls).toEqual([
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', '--now', 'imspooler'],
    ]);
    expect(output.join('\n')).toMatch(/journalctl --user -u imspooler/);
  });

  it('restarts an installed service so that it runs the new definition', async () => {
    await runServiceCommand('install', opts(), deps('linux'));
    calls = [];
    await runServiceCommand('install', opts({ configFile: '/etc/imspooler.json' }), deps('linux'));
    expect(await readFile(unitPath(), 'utf8')).toContain('--config /etc/imspooler.json');
    expect(calls).toEqual([
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'enable', '--now', 'imspooler'],
      ['systemctl', '--user', 'restart', 'imspooler'],
    ]);
  });

  it('fails with the service manager’s own words when it refuses', async () => {
    answer = (_cmd, args) =>
      args.includes('enable')
        ? { code: 1, stdout: '', stderr: 'Failed to connect to bus: No medium found\nmore' }
        : { code: 0, stdout: '', stderr: '' };
    let caught: unknown;
    try {
      await runServiceCommand('install', opts(), deps('linux'));
    } catch (e) {
      caught = e;
    }
    expect(isUsageError(caught)).toBe(false);
    expect(String(caught)).toMatch(
      /systemctl --user enable --now imspooler failed \(exit 1\): Failed to connect to bus: No medium found$/,
    );
  });

  it('with --dry-run shows the file and commands and does neither', async () => {
    await runServiceCommand('install', opts({ dryRun: true }), deps('linux'));
    const text = output.join('\n');
    expect(text).toContain(`write ${unitPath()}`);
    expect(text).toContain('ExecStart=/usr/bin/node');
    expect(text).toContain('run systemctl --user enable --now imspooler');
    expect(calls).toEqual([]);
    expect(await exists(unitPath())).toBe(false);
  });

  it('on macOS writes the agent, makes its log folder and bootstraps it into the GUI domain', async () => {
    await runServiceCommand('install', opts(), deps('darwin'));
    const plistPath = join(home, 'Library', 'LaunchAgents', 'com.imspooler.daemon.plist');
    const plist = parsePlist(await readFile(plistPath, 'utf8'));
    expect(plist.StandardOutPath).toBe(
      join(home, 'Library', 'Logs', 'imspooler', 'imspooler.out.log'),
    );
    expect(await exists(join(home, 'Library', 'Logs', 'imspooler'))).toBe(true);
    expect(calls).toEqual([
      ['launchctl', 'bootout', 'gui/501/com.imspooler.daemon'],
      ['launchctl', 'enable', 'gui/501/com.imspooler.daemon'],
      ['launchctl', 'bootstrap', 'gui/501', plistPath],
    ]);
  });

  it('on Windows hands schtasks a UTF-16 task file, removes it, and starts the task', async () => {
    let seen = '';
    answer = async (_cmd, args) => {
      if (args[0] === '/Query') return { code: 1, stdout: '', stderr: 'ERROR: not found' };
      if (args[0] === '/Create') {
        const bytes = await readFile(args[4] ?? '');
        expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
        seen = bytes.subarray(2).toString('utf16le');
      }
      return { code: 0, stdout: '', stderr: '' };
    };
    const xmlPath = join(home, 'imspooler-task.xml');
    await runServiceCommand(
      'install',
      opts({ configFile: 'C:\\Users\\alice\\imspooler\\config\\prod.json' }),
      deps('win32', {
        nodePath: 'C:\\Program Files\\nodejs\\node.exe',
        cliPath: 'C:\\Users\\alice\\imspooler\\bin\\imspooler.js',
        user: 'CONTOSO\\alice',
      }),
    );
    expect(calls).toEqual([
      ['schtasks', '/Query', '/TN', 'imspooler'],
      ['schtasks', '/Create', '/TN', 'imspooler', '/XML', xmlPath, '/F'],
      ['schtasks', '/Run', '/TN', 'imspooler'],
    ]);
    const exec = (
      (parseXml(seen).Task as Record<string, unknown>).Actions as Record<string, unknown>
    ).Exec as Record<string, unknown>;
    expect(exec.WorkingDirectory).toBe('C:\\Users\\alice\\imspooler');
    expect(await exists(xmlPath)).toBe(false);
  });
});

describe('the packaged program and the machine-wide task', () => {
  it('names the self-contained program as the command, with no script, run from its folder', async () => {
    await runServiceCommand(
      'print',
      opts({ platform: 'windows', configFile: 'C:\\ProgramData\\imspooler\\imspooler.json' }),
      deps('win32', {
        nodePath: 'C:\\Program Files\\imspooler\\imspooler.exe',
        cliPath: undefined,
        user: 'CONTOSO\\alice',
      }),
    );
    const exec = (
      (parseXml(output.join('\n')).Task as Record<string, unknown>).Actions as Record<
        string,
        unknown
      >
    ).Exec as Record<string, unknown>;
    expect(exec.Command).toBe('"C:\\Program Files\\imspooler\\imspooler.exe"');
    expect(exec.Arguments).toBe('run --config "C:\\ProgramData\\imspooler\\imspooler.json"');
    expect(exec.WorkingDirectory).toBe('C:\\Program Files\\imspooler');
  });

  it("puts no node flag on the packaged program's command line: it carries them inside itself", async () => {
    await runServiceCommand(
      'print',
      opts({ configFile: '/etc/imspooler/imspooler.json' }),
      deps('linux', { nodePath: '/opt/imspooler/imspooler', cliPath: undefined }),
    );
    expect(output.join('\n')).toContain(
      'ExecStart=/opt/imspooler/imspooler run --config /etc/imspooler/imspooler.json\n',
    );
  });

  it('installs one task for the Users group whose start may find nobody signed in', async () => {
    answer = (_cmd, args) =>
      args[0] === '/Query' || args[0] === '/Run'
        ? { code: 1, stdout: '', stderr: 'ERROR: nothing' }
        : { code: 0, stdout: '', stderr: '' };
    let seen = '';
    const realWrite = realFs.writeFile;
    const fs = {
      ...realFs,
      writeFile: (async (path: string, data: Buffer, o: unknown) => {
        seen = data.subarray(2).toString('utf16le');
        return realWrite(path, data, o as never);
      }) as typeof realFs.writeFile,
    };
    await runServiceCommand(
      'install',
      opts({ configFile: 'C:\\ProgramData\\imspooler\\imspooler.json', allUsers: true }),
      deps('win32', {
        nodePath: 'C:\\Program Files\\imspooler\\imspooler.exe',
        cliPath: undefined,
        fs,
      }),
    );
    const task = parseXml(seen).Task as Record<string, Record<string, unknown>>;
    const principal = task.Principals?.Principal as Record<string, unknown>;
    expect(principal.GroupId).toBe('S-1-5-32-545');
    expect(principal.UserId).toBeUndefined();
    expect((task.Triggers?.LogonTrigger as Record<string, unknown>).UserId).toBeUndefined();
    expect(task.Settings?.MultipleInstancesPolicy).toBe('Parallel');
    expect(calls.map((c) => c[1])).toEqual(['/Query', '/Create', '/Run']);
    expect(output.join('\n')).toContain('installed');
  });

  it('refuses --all-users for the other platforms', async () => {
    const message = await usageError(
      runServiceCommand('install', opts({ allUsers: true }), deps('linux')),
    );
    expect(message).toContain('--all-users is for the Windows task only');
  });
});

describe('service uninstall', () => {
  it('on Linux stops and disables the service, removes the unit and reloads systemd', async () => {
    await runServiceCommand('install', opts(), deps('linux'));
    calls = [];
    await runServiceCommand('uninstall', opts(), deps('linux'));
    expect(await exists(unitPath())).toBe(false);
    expect(calls).toEqual([
      ['systemctl', '--user', 'disable', '--now', 'imspooler'],
      ['systemctl', '--user', 'daemon-reload'],
      ['systemctl', '--user', 'reset-failed', 'imspooler'],
    ]);
  });

  it('goes on when the service was not running', async () => {
    await runServiceCommand('install', opts(), deps('linux'));
    answer = (_cmd, args) =>
      args[1] === 'disable' || args[1] === 'reset-failed'
        ? { code: 5, stdout: '', stderr: 'Unit imspooler.service not loaded.' }
        : { code: 0, stdout: '', stderr: '' };
    await runServiceCommand('uninstall', opts(), deps('linux'));
    expect(await exists(unitPath())).toBe(false);
    expect(output.at(-1)).toBe('imspooler service uninstalled');
  });

  it('does nothing, successfully, when nothing is installed', async () => {
    await runServiceCommand('uninstall', opts(), deps('linux'));
    expect(calls).toEqual([]);
    expect(output.join('\n')).toMatch(/not installed/);
  });

  it('does not care about the transport', async () => {
    await runServiceCommand('install', opts(), deps('linux'));
    await runServiceCommand('uninstall', opts({ transport: 'sandbox' }), deps('linux'));
    expect(await exists(unitPath())).toBe(false);
  });
});

describe('argument parsing', () => {
  it('accepts the documented words and names the allowed ones otherwise', () => {
    expect(parseServiceAction('print')).toBe('print');
    expect(parseServicePlatform('macos')).toBe('macos');
    expect(() => parseServiceAction('start')).toThrow(/install, uninstall or print/);
    expect(() => parseServicePlatform('darwin')).toThrow(/windows, linux, macos/);
  });
});
