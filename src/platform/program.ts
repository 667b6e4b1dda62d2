import { readFileSync } from 'node:fs';
import { join, posix, win32 } from 'node:path';
import { object, parseJsonOrThrow, str } from './json-shape.js';

/**
 * How imspooler was started. `script`: `node bin/imspooler.js` from a clone or an installed
 * package, whose root holds `package.json` and `config/`. `executable`: the self-contained
 * program `npm run package` builds (a Node.js single-executable application), which has no
 * package folder beside it: it names itself as the command and keeps its config where an
 * administrator puts machine-wide files.
 */
export type Program = { kind: 'script'; root: string } | { kind: 'executable'; path: string };

/** The name of the config file a packaged program looks for when none is named. */
export const PACKAGED_CONFIG_NAME = 'imspooler.json';

/** Whether this process is a single-executable application (`node:sea`, Node 20.12 and later). */
export function isSingleExecutable(): boolean {
  // getBuiltinModule works in the ESM build and in the CommonJS bundle of the executable alike.
  const sea = process.getBuiltinModule('node:sea') as { isSea?: () => boolean } | undefined;
  return sea?.isSea?.() ?? false;
}

/** The running program: the executable itself, or the package root `root` (for a script). */
export function currentProgram(root: () => string): Program {
  return isSingleExecutable()
    ? { kind: 'executable', path: process.execPath }
    : { kind: 'script', root: root() };
}

/** The package version: from the executable's embedded `package.json`, or the package root's. */
export function programVersion(program: Program): string {
  const text =
    program.kind === 'executable'
      ? (
          process.getBuiltinModule('node:sea') as { getAsset(k: string, e: string): string }
        ).getAsset('package.json', 'utf8')
      : readFileSync(join(program.root, 'package.json'), 'utf8');
  return parseJsonOrThrow(text, 'package.json', object<{ version: string }>({ version: str })).version; // prettier-ignore
}

/**
 * Where the config is when neither `--config` nor `IMSPOOLER_CONFIG` names one. A script uses its
 * repository's demo config; a packaged program the machine-wide file: `%ProgramData%\imspooler\
 * imspooler.json` on Windows (where the MSI's default `CONFIG` points), `/etc/imspooler/
 * imspooler.json` elsewhere.
 */
export function defaultConfigFile(
  program: Program,
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
): string {
  if (program.kind === 'script') {
    const style = platform === 'win32' ? win32 : posix;
    return style.join(program.root, 'config', 'default.json');
  }
  if (platform === 'win32') {
    return win32.join(env.ProgramData ?? 'C:\\ProgramData', 'imspooler', PACKAGED_CONFIG_NAME);
  }
  return posix.join('/etc', 'imspooler', PACKAGED_CONFIG_NAME);
}

/**
 * The state folder when the config names none. Windows: `%LOCALAPPDATA%\imspooler`, per user, so
 * one machine-wide config serves every user who signs in; the folder's ACL (the user and
 * administrators only) is what keeps the queue private there, file modes mean nothing on Windows.
 * Elsewhere, or without `LOCALAPPDATA`: `var` beside the config file.
 */
export function defaultStateDir(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  configDir: string,
): string {
  const local = env.LOCALAPPDATA;
  if (platform === 'win32' && local) return win32.join(local, 'imspooler');
  // configDir is a path of the machine this runs on.
  return join(configDir, 'var');
}
