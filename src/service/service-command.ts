import { homedir, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors/errors.js';
import { realFs, type FsLike } from '../platform/fs-seam.js';
import { isSingleExecutable } from '../platform/program.js';
import { pathStyle } from './path-style.js';
import { execRunCommand, type RunCommand } from './run-command.js';
import { planService, type ServicePlan, type ServiceStep } from './service-plan.js';
import {
  SERVICE_NAME,
  platformOf,
  servicePlatforms,
  type ServicePlatform,
  type ServiceSpec,
} from './service-spec.js';

export type ServiceAction = 'install' | 'uninstall' | 'print';

/** What the user asked for (`imspooler service <action> [--platform P] [--allow-sandbox] [--dry-run]`). */
export interface ServiceOptions {
  /** Target platform; default: the one this runs on. */
  platform?: ServicePlatform;
  /** Absolute path of the loaded config file (`Config.configFile`). */
  configFile: string;
  /** `delivery.transport` of the loaded config; undefined when it was not read (`--all-users`). */
  transport?: string;
  /** Install even though the config delivers into the sandbox (`--allow-sandbox`). */
  allowSandbox?: boolean;
  /** Show what install/uninstall would write and run, and do nothing (`--dry-run`). */
  dryRun?: boolean;
  /** Extra non-secret variables for the service's environment (see `ServiceSpec.env`). */
  env?: Record<string, string>;
  /** Windows: the machine-wide task for every user who signs in (`--all-users`, as administrator). */
  allUsers?: boolean;
}

/** The outside world, injected so that tests run install/uninstall against a temp home. */
export interface ServiceDeps {
  out: (text: string) => void;
  runCommand: RunCommand;
  fs: FsLike;
  homeDir: string;
  /** The program the service starts: node, or the self-contained program itself. */
  nodePath: string;
  /** Absolute path of `bin/imspooler.js`; absent for the self-contained program. */
  cliPath?: string | undefined;
  /** Numeric user id, for launchd's `gui/<uid>` domain. */
  uid?: number | undefined;
  /** Account for the Windows task (`DOMAIN\name`). */
  user?: string;
  /** Where the temporary Windows task XML goes (default: the OS temp folder). */
  tmpDir?: string;
  /** `process.platform` of this machine (default: the real one). */
  nodePlatform?: string;
}

/** Parses the action word of `imspooler service <action>`. */
export function parseServiceAction(word: string): ServiceAction {
  if (word === 'install' || word === 'uninstall' || word === 'print') return word;
  throw new UsageError(
    `service: unknown action ${JSON.stringify(word)}; use install, uninstall or print`,
  );
}

/** Parses `--platform`. */
export function parseServicePlatform(word: string): ServicePlatform {
  const found = servicePlatforms.find((p) => p === word);
  if (found === undefined) {
    throw new UsageError(
      `service: --platform ${JSON.stringify(word)} is not one of ${servicePlatforms.join(', ')}`,
    );
  }
  return found;
}

/** `bin/imspooler.js` of this package (src/service/ and dist/service/ are both two levels down). */
export function defaultCliPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'imspooler.js');
}

/** The Windows account name as Task Scheduler wants it: `DOMAIN\user` where a domain is known. */
export function windowsAccount(env: NodeJS.ProcessEnv, username: string): string {
  return env.USERDOMAIN ? `${env.USERDOMAIN}\\${username}` : username;
}

// userInfo() throws where the uid has no passwd entry (some containers).
function currentUsername(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USERNAME ?? env.USER ?? 'unknown';
  }
}

/** The real collaborators, for the CLI. */
export function makeServiceDeps(
  out: (text: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): ServiceDeps {
  const uid = process.getuid?.();
  return {
    out,
    runCommand: execRunCommand,
    fs: realFs,
    homeDir: homedir(),
    nodePath: process.execPath,
    // The self-contained program is its own command: no script to name.
    cliPath: isSingleExecutable() ? undefined : defaultCliPath(),
    uid,
    user: windowsAccount(env, currentUsername(env)),
    tmpDir: tmpdir(),
    nodePlatform: process.platform,
  };
}

function buildSpec(opts: ServiceOptions, deps: ServiceDeps): ServiceSpec {
  if (!pathStyle(opts.configFile).isAbsolute(opts.configFile)) {
    throw new UsageError(`service: the config file path must be absolute, got ${opts.configFile}`);
  }
  const style = pathStyle(deps.cliPath ?? deps.nodePath);
  return {
    nodePath: deps.nodePath,
    cliPath: deps.cliPath,
    configFile: opts.configFile,
    // The package root, where `npm start` runs too; the self-contained program's own folder.
    workingDir:
      deps.cliPath === undefined
        ? style.dirname(deps.nodePath)
        : style.dirname(style.dirname(deps.cliPath)),
    ...(deps.user === undefined || opts.allUsers ? {} : { user: deps.user }),
    ...(opts.allUsers ? { allUsers: true } : {}),
    env: opts.env,
  };
}

const showArg = (a: string): string => (/^[\w@%+=:,./\\-]+$/.test(a) ? a : JSON.stringify(a));
const showCommand = (command: string, args: string[]): string =>
  [command, ...args].map(showArg).join(' ');

function describeStep(step: ServiceStep): string {
  switch (step.kind) {
    case 'mkdir':
      return `mkdir -p ${showArg(step.path)}`;
    case 'remove':
      return `rm -f ${showArg(step.path)}`;
    case 'write':
      return `write ${showArg(step.path)}${step.note ? ` (${step.note})` : ''}`;
    case 'run':
      return `run ${showCommand(step.command, step.args)}${step.mayFail ? '   # failure ignored' : ''}`;
  }
}

async function isInstalled(plan: ServicePlan, deps: ServiceDeps): Promise<boolean> {
  if (plan.probe.kind === 'file') {
    try {
      await deps.fs.stat(plan.probe.path);
      return true;
    } catch {
      return false;
    }
  }
  return (await deps.runCommand(plan.probe.command, plan.probe.args)).code === 0;
}

async function perform(step: ServiceStep, deps: ServiceDeps): Promise<void> {
  switch (step.kind) {
    case 'mkdir':
      await deps.fs.mkdir(step.path, { recursive: true });
      return;
    case 'remove':
      await deps.fs.rm(step.path, { force: true });
      return;
    case 'write':
      await deps.fs.writeFile(step.path, step.data, { mode: 0o644 });
      deps.out(`wrote ${step.path}`);
      return;
    case 'run': {
      const r = await deps.runCommand(step.command, step.args);
      if (r.code !== 0 && !step.mayFail) {
        const why = (r.stderr.trim() || r.stdout.trim()).split(/\r?\n/)[0] ?? '';
        throw new Error(
          `service: ${showCommand(step.command, step.args)} failed (exit ${r.code})${why ? `: ${why}` : ''}`,
        );
      }
      if (r.code === 0) deps.out(`ran ${showCommand(step.command, step.args)}`);
      return;
    }
  }
}

function dryRun(plan: ServicePlan, steps: ServiceStep[], deps: ServiceDeps): void {
  deps.out('# dry run: nothing is written or run');
  for (const step of steps) {
    deps.out(describeStep(step));
    if (step.kind === 'write') deps.out(plan.definition.trimEnd());
  }
}

/**
 * `imspooler service install|uninstall|print`. `print` renders any platform's definition anywhere;
 * install and uninstall act on this machine only, and install refuses a sandbox config unless
 * allowed. Throws UsageError for bad usage (exit 2) and Error when a service manager fails (exit 1).
 */
export async function runServiceCommand(
  action: ServiceAction,
  opts: ServiceOptions,
  deps: ServiceDeps,
): Promise<void> {
  const nodePlatform = deps.nodePlatform ?? process.platform;
  const host = platformOf(nodePlatform);
  const platform = opts.platform ?? host;
  if (platform === undefined) {
    throw new UsageError(
      `service: no service support for platform ${nodePlatform}; pass --platform windows, linux or macos to print one`,
    );
  }
  if (action !== 'print' && platform !== host) {
    throw new UsageError(
      `service: cannot ${action} the ${platform} service on this ${host ?? nodePlatform} machine; use "imspooler service print --platform ${platform}" to see it`,
    );
  }
  if (opts.allUsers && platform !== 'windows') {
    throw new UsageError(
      `service: --all-users is for the Windows task only; on ${platform} each user installs their own service`,
    );
  }
  if (action === 'install' && opts.transport === 'sandbox' && !opts.allowSandbox) {
    throw new UsageError(
      `service: the config ${opts.configFile} uses delivery.transport "sandbox", so the service would deliver into a local test mailbox instead of Exchange; set delivery.transport to "ews", or pass --allow-sandbox to install it anyway`,
    );
  }
  const spec = buildSpec(opts, deps);
  const ctx = {
    homeDir: deps.homeDir,
    tmpDir: deps.tmpDir ?? tmpdir(),
    uid: deps.uid,
  };
  if (action === 'print') {
    deps.out(planService(platform, spec, ctx).definition.trimEnd());
    return;
  }
  if (platform === 'macos' && deps.uid === undefined && !opts.dryRun) {
    throw new Error(
      'service: the numeric user id is unknown, so launchd cannot be told which user',
    );
  }
  const installed = await isInstalled(planService(platform, spec, ctx), deps);
  const plan = planService(platform, spec, { ...ctx, alreadyInstalled: installed });
  if (action === 'uninstall' && !installed) {
    deps.out(`${SERVICE_NAME} service is not installed; nothing to do`);
    return;
  }
  const steps = action === 'install' ? plan.install : plan.uninstall;
  if (opts.dryRun) {
    dryRun(plan, steps, deps);
    return;
  }
  for (const step of steps) await perform(step, deps);
  if (action === 'install') {
    deps.out(`${SERVICE_NAME} service installed${installed ? ' (replaced the previous one)' : ''}`);
    for (const hint of plan.hints) deps.out(hint);
  } else {
    deps.out(`${SERVICE_NAME} service uninstalled`);
  }
}
