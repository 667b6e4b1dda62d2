/**
 * Turns `spool.paths` into concrete folders. The literal `auto` means every
 * `%LOCALAPPDATA%\Microsoft\Office\{15.0,16.0}\Lync\sip_*\History Spooler` (Lync 2013 and Skype for
 * Business 2016+). The path arithmetic is pure; only `expandAutoPaths` reads directories.
 *
 * Off Windows there is no such tree. `auto` then uses `LOCALAPPDATA` when it is set (a Wine prefix,
 * a mounted profile, tests) and otherwise expands to nothing with a warning.
 */
import path from 'node:path';
import type { FsLike } from '../platform/fs-seam.js';

/** The environment variables discovery reads. */
export interface DiscoveryEnv {
  LOCALAPPDATA?: string;
  USERPROFILE?: string;
  HOME?: string;
}

/** The result of expanding paths: folders to watch, parents whose changes mean "expand again". */
export interface Expansion {
  /** Spool folders, existing or not (a missing one is watched for by the rescan). */
  folders: string[];
  /** The `...\Lync` folders where new `sip_*` profiles appear. */
  parents: string[];
  /** Human-readable reasons why `auto` found less than it could. */
  warnings: string[];
}

/** The Office versions whose Lync client keeps a History Spooler. */
export const OFFICE_VERSIONS = ['15.0', '16.0'] as const;
export const SPOOLER_FOLDER = 'History Spooler';

/** The path flavour of a platform: Windows paths even when simulated on another OS. */
export function pathFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** Where Local AppData is, or undefined. Pure. */
export function localAppData(env: DiscoveryEnv, platform: NodeJS.Platform): string | undefined {
  if (env.LOCALAPPDATA) return env.LOCALAPPDATA;
  if (platform !== 'win32') return undefined;
  const profile = env.USERPROFILE || env.HOME;
  return profile ? path.win32.join(profile, 'AppData', 'Local') : undefined;
}

/** The `...\Microsoft\Office\<version>\Lync` folders to look into. Pure. */
export function lyncRoots(appData: string, platform: NodeJS.Platform): string[] {
  const p = pathFor(platform);
  return OFFICE_VERSIONS.map((v) => p.join(appData, 'Microsoft', 'Office', v, 'Lync'));
}

/** Whether a folder name is a Lync user profile folder (`sip_<address>`). Windows names ignore case. */
export function isSipFolderName(name: string, platform: NodeJS.Platform): boolean {
  return platform === 'win32' || platform === 'darwin'
    ? /^sip_/i.test(name)
    : name.startsWith('sip_');
}

/** Removes duplicates, comparing case-insensitively on Windows. Keeps the first spelling. Pure. */
export function uniquePaths(paths: string[], platform: NodeJS.Platform): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) {
    const key = platform === 'win32' ? p.toLowerCase() : p;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  }
  return out;
}

/** Finds every History Spooler under the Lync profile folders that exist now. */
export async function expandAutoPaths(
  env: DiscoveryEnv,
  platform: NodeJS.Platform,
  fs: Pick<FsLike, 'readdir'>,
): Promise<Expansion> {
  const appData = localAppData(env, platform);
  if (appData === undefined) {
    return {
      folders: [],
      parents: [],
      warnings: [
        platform === 'win32'
          ? 'spool.paths "auto": LOCALAPPDATA is not set; no History Spooler folder can be found'
          : `spool.paths "auto": there is no Skype for Business History Spooler on ${platform} unless LOCALAPPDATA points at a Windows profile's AppData\\Local; list the folders explicitly`,
      ],
    };
  }
  const p = pathFor(platform);
  const parents = lyncRoots(appData, platform);
  const folders: string[] = [];
  const warnings: string[] = [];
  for (const root of parents) {
    let names: { name: string; isDirectory(): boolean }[];
    try {
      names = await fs.readdir(root, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A missing Office version is normal (only one is installed); anything else is worth saying.
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        warnings.push(`cannot read ${root}: ${code ?? String(e)}`);
      continue;
    }
    for (const d of names) {
      // Dirent.isDirectory() is false for a symlink: a linked profile folder is not followed.
      if (d.isDirectory() && isSipFolderName(d.name, platform))
        folders.push(p.join(root, d.name, SPOOLER_FOLDER));
    }
  }
  folders.sort();
  return { folders, parents, warnings };
}

/** Expands `auto` among the configured paths and removes duplicates. */
export async function resolveSpoolPaths(
  paths: string[],
  env: DiscoveryEnv,
  platform: NodeJS.Platform,
  fs: Pick<FsLike, 'readdir'>,
): Promise<Expansion> {
  const folders: string[] = [];
  const parents: string[] = [];
  const warnings: string[] = [];
  for (const entry of paths) {
    if (entry.toLowerCase() === 'auto') {
      const x = await expandAutoPaths(env, platform, fs);
      folders.push(...x.folders);
      parents.push(...x.parents);
      warnings.push(...x.warnings);
    } else folders.push(entry);
  }
  return {
    folders: uniquePaths(folders, platform),
    parents: uniquePaths(parents, platform),
    warnings,
  };
}
