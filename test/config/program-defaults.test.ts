import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import {
  currentProgram,
  defaultConfigFile,
  defaultStateDir,
  programVersion,
} from '../../src/platform/program.js';

const repoRoot = join(import.meta.dirname, '..', '..');

describe('where a program looks for its config and keeps its state', () => {
  it('a script reads its repository demo config; the packaged program the machine-wide file', () => {
    const script = { kind: 'script', root: '/opt/imspooler' } as const;
    const exe = {
      kind: 'executable',
      path: 'C:\\Program Files\\imspooler\\imspooler.exe',
    } as const;
    expect(defaultConfigFile(script, 'linux', {})).toBe('/opt/imspooler/config/default.json');
    expect(defaultConfigFile(exe, 'win32', { ProgramData: 'D:\\ProgramData' })).toBe(
      'D:\\ProgramData\\imspooler\\imspooler.json',
    );
    expect(defaultConfigFile(exe, 'win32', {})).toBe('C:\\ProgramData\\imspooler\\imspooler.json');
    expect(
      defaultConfigFile({ kind: 'executable', path: '/usr/local/bin/imspooler' }, 'linux', {}),
    ).toBe('/etc/imspooler/imspooler.json');
  });

  it('state defaults to %LOCALAPPDATA%\\imspooler on Windows, per user, and beside the config elsewhere', () => {
    const env = { LOCALAPPDATA: 'C:\\Users\\alice\\AppData\\Local' };
    expect(defaultStateDir('win32', env, 'C:\\ProgramData\\imspooler')).toBe(
      'C:\\Users\\alice\\AppData\\Local\\imspooler',
    );
    const configDir = join(repoRoot, 'config');
    expect(defaultStateDir('win32', {}, configDir)).toBe(join(configDir, 'var'));
    expect(defaultStateDir('linux', env, configDir)).toBe(join(configDir, 'var'));
  });

  it('loadConfig applies the Windows default to a config without stateDir, and never overrides one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imspooler-program-'));
    try {
      const file = join(dir, 'imspooler.json');
      await writeFile(file, JSON.stringify({ delivery: { transport: 'sandbox' } }));
      const env = { LOCALAPPDATA: 'C:\\Users\\alice\\AppData\\Local' };
      const win = await loadConfig({ file, repoRoot, env, platform: 'win32' });
      expect(win.stateDir).toBe('C:\\Users\\alice\\AppData\\Local\\imspooler');
      expect(win.log.file?.startsWith(win.stateDir)).toBe(true);
      expect((await loadConfig({ file, repoRoot, env, platform: 'linux' })).stateDir).toBe(
        join(dir, 'var'),
      );
      // config/default.json names its own stateDir: the platform changes nothing there.
      const own = await loadConfig({ repoRoot, env, platform: 'win32' });
      expect(own.stateDir).toBe((await loadConfig({ repoRoot, env, platform: 'linux' })).stateDir);
      expect(own.stateDir.startsWith(repoRoot)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('this test runs as a script, whose version is package.json’s', () => {
    const program = currentProgram(() => repoRoot);
    expect(program).toEqual({ kind: 'script', root: repoRoot });
    expect(programVersion(program)).toMatch(/^\d+\.\d+\.\d+/);
  });
});
