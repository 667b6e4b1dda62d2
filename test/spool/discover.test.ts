import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  expandAutoPaths,
  localAppData,
  lyncRoots,
  resolveSpoolPaths,
  uniquePaths,
} from '../../src/spool/discover.js';

/** Lets Windows-style paths (backslashes) reach a real temp tree on any OS. */
const winFs = {
  readdir: ((p: string, opts: unknown) =>
    readdir(p.replaceAll('\\', '/'), opts as { withFileTypes: true })) as unknown as typeof readdir,
};

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'imspooler-discover-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const mk = (...parts: string[]): Promise<string | undefined> =>
  mkdir(path.join(root, ...parts), { recursive: true });

describe('auto discovery on Windows (simulated with path.win32)', () => {
  it('finds every sip_* History Spooler under Office 15.0 and 16.0, and nothing else', async () => {
    await mk('Microsoft/Office/16.0/Lync/sip_alice@contoso.com/History Spooler');
    await mk('Microsoft/Office/16.0/Lync/SIP_bob@contoso.com'); // no spooler yet: still watched for
    await mk('Microsoft/Office/15.0/Lync/sip_carol@contoso.com/History Spooler');
    await mk('Microsoft/Office/16.0/Lync/Tracing');
    await writeFile(path.join(root, 'Microsoft/Office/16.0/Lync/sip_file'), '');
    await symlink(
      path.join(root, 'Microsoft/Office/16.0/Lync/Tracing'),
      path.join(root, 'Microsoft/Office/16.0/Lync/sip_link'),
    );

    const x = await expandAutoPaths({ LOCALAPPDATA: root }, 'win32', winFs);
    const w = (...parts: string[]): string =>
      path.win32.join(root, 'Microsoft', 'Office', ...parts, 'History Spooler');
    expect(x.folders).toEqual(
      [
        w('15.0', 'Lync', 'sip_carol@contoso.com'),
        w('16.0', 'Lync', 'SIP_bob@contoso.com'),
        w('16.0', 'Lync', 'sip_alice@contoso.com'),
      ].sort(),
    );
    expect(x.folders.every((f) => f.includes('\\Lync\\') && f.endsWith('\\History Spooler'))).toBe(
      true,
    );
    expect(x.parents).toEqual(lyncRoots(root, 'win32'));
    expect(x.warnings).toEqual([]);
  });

  it('finds a profile folder that appears later', async () => {
    await mk('Microsoft/Office/16.0/Lync');
    expect((await expandAutoPaths({ LOCALAPPDATA: root }, 'win32', winFs)).folders).toEqual([]);
    await mk('Microsoft/Office/16.0/Lync/sip_dave@contoso.com');
    expect((await expandAutoPaths({ LOCALAPPDATA: root }, 'win32', winFs)).folders).toHaveLength(1);
  });

  it('is quiet when no Office is installed', async () => {
    const x = await expandAutoPaths({ LOCALAPPDATA: root }, 'win32', winFs);
    expect(x).toEqual({ folders: [], parents: lyncRoots(root, 'win32'), warnings: [] });
  });

  it('falls back to the profile folder when LOCALAPPDATA is unset', () => {
    expect(localAppData({ USERPROFILE: 'C:\\Users\\alice' }, 'win32')).toBe(
      'C:\\Users\\alice\\AppData\\Local',
    );
    expect(lyncRoots('C:\\Users\\alice\\AppData\\Local', 'win32')[1]).toBe(
      'C:\\Users\\alice\\AppData\\Local\\Microsoft\\Office\\16.0\\Lync',
    );
  });

  it('deduplicates configured paths case-insensitively on Windows only', async () => {
    expect(uniquePaths(['C:\\A', 'c:\\a', 'C:\\B'], 'win32')).toEqual(['C:\\A', 'C:\\B']);
    expect(uniquePaths(['/a', '/A'], 'linux')).toEqual(['/a', '/A']);
    await mk('Microsoft/Office/16.0/Lync/sip_e@x/History Spooler');
    const found = path.win32.join(root, 'Microsoft/Office/16.0/Lync/sip_e@x/History Spooler');
    const x = await resolveSpoolPaths(
      ['D:\\Spool', 'AUTO', found.toUpperCase()],
      { LOCALAPPDATA: root },
      'win32',
      winFs,
    );
    expect(x.folders).toEqual(['D:\\Spool', found]);
  });
});

describe('auto discovery elsewhere', () => {
  it('expands to nothing with a warning when LOCALAPPDATA is unset', async () => {
    const x = await expandAutoPaths({ HOME: '/home/alice' }, 'linux', { readdir });
    expect(x.folders).toEqual([]);
    expect(x.warnings[0]).toMatch(/LOCALAPPDATA/);
  });

  it('uses LOCALAPPDATA with native paths when it is set', async () => {
    await mk('Microsoft/Office/16.0/Lync/sip_f@x');
    const x = await expandAutoPaths({ LOCALAPPDATA: root }, 'linux', { readdir });
    expect(x.folders).toEqual([
      path.posix.join(root, 'Microsoft/Office/16.0/Lync/sip_f@x/History Spooler'),
    ]);
  });

  it('keeps explicit folders as they are', async () => {
    const x = await resolveSpoolPaths(['/srv/spool', '/srv/spool'], {}, 'linux', { readdir });
    expect(x).toEqual({ folders: ['/srv/spool'], parents: [], warnings: [] });
  });
});
