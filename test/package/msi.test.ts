import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMsi } from '../../scripts/package/msi.mjs';

const has = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const tools = ['wixl', 'msibuild', 'msiinfo'].every(has);

/** One table of the MSI as rows of named columns (msiinfo export: names, types, key, rows). */
function table(msi: string, name: string): Record<string, string>[] {
  const lines = execFileSync('msiinfo', ['export', msi, name], { encoding: 'utf8' })
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const columns = (lines[0] ?? '').split('\t');
  return lines
    .slice(3)
    .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [columns[i], v])));
}

describe('the MSI (needs wixl, msibuild and msiinfo from msitools)', () => {
  if (!tools) console.warn('skipping the MSI checks: wixl, msibuild or msiinfo not found');
  let dir = '';
  let msi = '';
  beforeAll(async () => {
    if (!tools) return;
    dir = await mkdtemp(join(tmpdir(), 'imspooler-msi-'));
    writeFileSync(join(dir, 'program.exe'), 'MZ stand-in for the program');
    msi = join(dir, 'imspooler.msi');
    buildMsi({ exe: join(dir, 'program.exe'), version: '1.2.3', out: msi, work: dir });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!tools)('installs per machine, 64-bit, under Program Files\\imspooler', () => {
    const props = Object.fromEntries(table(msi, 'Property').map((r) => [r.Property, r.Value]));
    expect(props.ALLUSERS).toBe('1');
    expect(props.ProductVersion).toBe('1.2.3');
    // Changing it would make the next version install beside this one instead of replacing it.
    expect(props.UpgradeCode).toBe('{6F1C2E0A-6C61-4B8E-9C7D-2D1B0A4E8F31}');
    expect(props.SecureCustomProperties?.split(';')).toContain('CONFIG');
    const dirs = Object.fromEntries(table(msi, 'Directory').map((r) => [r.Directory, r]));
    expect(dirs.INSTALLDIR?.Directory_Parent).toBe('ProgramFiles64Folder');
    expect(dirs.INSTALLDIR?.DefaultDir).toBe('imspooler');
    expect(table(msi, 'File').map((r) => r.FileName)).toEqual(['imspooler.exe']);
    const summary = execFileSync('msiinfo', ['suminfo', msi], { encoding: 'utf8' });
    expect(summary).toMatch(/Template: x64;1033/);
  });

  it.skipIf(!tools)('takes CONFIG, remembers it for upgrades, else uses %ProgramData%', () => {
    expect(table(msi, 'AppSearch')).toEqual([{ Property: 'CONFIG', Signature_: 'PreviousConfig' }]);
    expect(table(msi, 'RegLocator')[0]).toMatchObject({
      Key: 'SOFTWARE\\imspooler',
      Name: 'Config',
      // 2: a value read as it is; +16: in the 64-bit view, where the 64-bit component wrote it.
      Type: '18',
    });
    const registry = table(msi, 'Registry').map((r) => `${r.Key}\\${r.Name}=${r.Value}`);
    expect(registry).toContain('SOFTWARE\\imspooler\\Config=[CONFIG]');
    const ca = Object.fromEntries(table(msi, 'CustomAction').map((r) => [r.Action, r]));
    expect(ca.DefaultConfig?.Target).toBe('[CommonAppDataFolder]imspooler\\imspooler.json');
  });

  it.skipIf(!tools)('puts the program on PATH and names the config for every user', () => {
    const env = Object.fromEntries(table(msi, 'Environment').map((r) => [r.Name, r.Value]));
    expect(env).toEqual({ '=-*PATH': '[~];[INSTALLDIR]', '=-*IMSPOOLER_CONFIG': '[CONFIG]' });
  });

  it.skipIf(!tools)('registers the all-users task after the files, removes it before them', () => {
    const ca = Object.fromEntries(table(msi, 'CustomAction').map((r) => [r.Action, r]));
    expect(ca.RegisterTask?.Target).toBe('service install --all-users --config "[CONFIG]"');
    expect(ca.UnregisterTask?.Target).toBe('service uninstall --all-users');
    const seq = Object.fromEntries(
      table(msi, 'InstallExecuteSequence').map((r) => [r.Action, Number(r.Sequence)]),
    );
    const order = (...actions: string[]) => actions.map((a) => seq[a] ?? NaN);
    const [ui, ...rest] = order(
      'AppSearch',
      'DefaultConfig',
      'InstallInitialize',
      'RemoveExistingProducts',
      'RemoveEnvironmentStrings',
      'UnregisterTask',
      'RemoveFiles',
      'InstallFiles',
      'WriteRegistryValues',
      'WriteEnvironmentStrings',
      'RegisterTask',
      'InstallFinalize',
    );
    let previous = ui ?? NaN;
    for (const n of rest) {
      expect(n).toBeGreaterThan(previous);
      previous = n;
    }
    const conditions = Object.fromEntries(
      table(msi, 'InstallExecuteSequence').map((r) => [r.Action, r.Condition]),
    );
    expect(conditions.UnregisterTask).toBe('REMOVE="ALL"');
    expect(conditions.RegisterTask).toBe('NOT REMOVE="ALL"');
  });

  it.skipIf(!tools)('never removes anything outside its own folder (no RemoveFile rows)', () => {
    expect(table(msi, 'RemoveFile')).toEqual([]);
  });
});
