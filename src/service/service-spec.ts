import { UsageError } from '../errors/errors.js';
import { DAEMON_NODE_FLAGS } from '../platform/node-flags.js';

/** The platforms imspooler can install itself on, as named on the command line. */
export type ServicePlatform = 'windows' | 'linux' | 'macos';

export const servicePlatforms: readonly ServicePlatform[] = ['windows', 'linux', 'macos'];

/** The well-known SID of the local Users group (BUILTIN\Users), the same in every language. */
export const USERS_GROUP_SID = 'S-1-5-32-545';

/** Name of the Scheduled Task and of the systemd unit (`imspooler.service`). */
export const SERVICE_NAME = 'imspooler';
/** launchd label; the agent's plist is `<label>.plist`. */
export const LAUNCHD_LABEL = 'com.imspooler.daemon';

/** What every service definition needs: how to start the daemon, and as whom. */
export interface ServiceSpec {
  /**
   * Absolute path of the program the service starts: the node executable (usually
   * `process.execPath`), or the self-contained `imspooler` program, which needs no script.
   */
  nodePath: string;
  /** Absolute path of `bin/imspooler.js`; absent when `nodePath` is the self-contained program. */
  cliPath?: string | undefined;
  /** Absolute path of the config file, passed as `run --config FILE`. */
  configFile: string;
  /** Directory the daemon starts in. */
  workingDir: string;
  /** Account that runs the service. Only the Windows task uses it (`DOMAIN\name` or `name`). */
  user?: string | undefined;
  /**
   * Windows only: one task for everyone in the Users group, started for each user as they sign in
   * and run as that user (what the MSI registers), instead of a task for `user` alone.
   */
  allUsers?: boolean;
  /**
   * Extra environment variables, name to value, set for the daemon (systemd and launchd; a Windows
   * task inherits the user's environment instead). `IMSPOOLER_CONFIG` is always set to
   * `configFile`. Definitions are readable files: never put secrets here.
   */
  env?: Record<string, string> | undefined;
  /** Folder for stdout/stderr files, where the service manager does not keep them itself (launchd). */
  logDir?: string | undefined;
}

/**
 * What goes between `nodePath` and `run` for a script install: node's flags for the daemon
 * (`DAEMON_NODE_FLAGS`: only the command line sets them), then the script. The self-contained
 * program carries the flags inside itself, so for it nothing.
 */
export function scriptArgs(spec: ServiceSpec): string[] {
  return spec.cliPath === undefined ? [] : [...DAEMON_NODE_FLAGS, spec.cliPath];
}

/** The arguments that start the daemon: `[node flags, cliPath] run --config <file>`. */
export function daemonArgs(spec: ServiceSpec): string[] {
  return [...scriptArgs(spec), 'run', '--config', spec.configFile];
}

/** Maps Node's `process.platform` to a service platform, or undefined where none applies. */
export function platformOf(nodePlatform: string): ServicePlatform | undefined {
  if (nodePlatform === 'win32') return 'windows';
  if (nodePlatform === 'linux') return 'linux';
  if (nodePlatform === 'darwin') return 'macos';
  return undefined;
}

/** The variables the daemon gets: the caller's, then `IMSPOOLER_CONFIG`, which always wins. */
export function serviceEnvironment(spec: ServiceSpec): [string, string][] {
  const env = { ...spec.env, IMSPOOLER_CONFIG: spec.configFile };
  return Object.entries(env);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// C0 controls and DEL: XML 1.0 cannot hold most of them and no service file format takes a newline.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Rejects values no service definition can carry faithfully. Renderers call it so that a bad path
 * fails with a readable message instead of producing a definition that starts something else.
 */
export function validateSpec(spec: ServiceSpec): void {
  const fields: [string, string | undefined][] = [
    ['nodePath', spec.nodePath],
    ['cliPath', spec.cliPath],
    ['configFile', spec.configFile],
    ['workingDir', spec.workingDir],
    ['user', spec.user],
    ['logDir', spec.logDir],
  ];
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    if (value === '') throw new UsageError(`service: ${name} is empty`);
    if (CONTROL.test(value)) {
      throw new UsageError(
        `service: ${name} ${JSON.stringify(value)} contains a control character`,
      );
    }
  }
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw new UsageError(
        `service: environment variable name ${JSON.stringify(name)} is not allowed (letters, digits and _; not starting with a digit)`,
      );
    }
    if (CONTROL.test(value)) {
      throw new UsageError(`service: environment variable ${name} contains a control character`);
    }
  }
}
