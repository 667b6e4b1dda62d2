import { posix } from 'node:path';
import { pathStyle } from './path-style.js';
import { LAUNCHD_PLIST_FILE, launchdLogPaths, renderLaunchdPlist } from './render-launchd-plist.js';
import { SYSTEMD_UNIT_FILE, renderSystemdUnit } from './render-systemd-unit.js';
import { encodeTaskXml, renderWindowsTask } from './render-windows-task.js';
import {
  LAUNCHD_LABEL,
  SERVICE_NAME,
  type ServicePlatform,
  type ServiceSpec,
} from './service-spec.js';

/** One thing install or uninstall does, in order. Plans are data so that `--dry-run` can show them. */
export type ServiceStep =
  | { kind: 'mkdir'; path: string }
  | { kind: 'write'; path: string; data: string | Buffer; note?: string }
  | { kind: 'remove'; path: string }
  | RunStep;

/** Runs a program. `mayFail`: a failure is expected in some states (stopping what is not running). */
export interface RunStep {
  kind: 'run';
  command: string;
  args: string[];
  mayFail?: boolean;
}

/** How to tell whether the service is installed: its definition file exists, or a command succeeds. */
export type InstalledProbe =
  { kind: 'file'; path: string } | { kind: 'run'; command: string; args: string[] };

/** Everything install and uninstall do on one platform, plus the definition itself. */
export interface ServicePlan {
  platform: ServicePlatform;
  /** The rendered definition, as `print` shows it. */
  definition: string;
  /** Where install writes the definition (for Windows, a temporary file handed to schtasks). */
  definitionPath: string;
  probe: InstalledProbe;
  install: ServiceStep[];
  uninstall: ServiceStep[];
  /** Short lines telling the user how to check the service and where its logs are. */
  hints: string[];
}

/** Where a plan puts things; all absolute paths in the target platform's syntax. */
export interface PlanContext {
  homeDir: string;
  /** Folder for the temporary task XML on Windows. */
  tmpDir: string;
  /** Numeric user id: launchd's `gui/<uid>` domain. */
  uid?: number | undefined;
  /** The service is installed already: on Linux install then restarts it to pick up changes. */
  alreadyInstalled?: boolean;
}

const systemctl = (...args: string[]): RunStep => ({
  kind: 'run',
  command: 'systemctl',
  args: ['--user', ...args],
});

function linuxPlan(spec: ServiceSpec, ctx: PlanContext): ServicePlan {
  const dir = posix.join(ctx.homeDir, '.config', 'systemd', 'user');
  const unitPath = posix.join(dir, SYSTEMD_UNIT_FILE);
  const definition = renderSystemdUnit(spec);
  return {
    platform: 'linux',
    definition,
    definitionPath: unitPath,
    probe: { kind: 'file', path: unitPath },
    install: [
      { kind: 'mkdir', path: dir },
      { kind: 'write', path: unitPath, data: definition },
      systemctl('daemon-reload'),
      systemctl('enable', '--now', SERVICE_NAME),
      // enable --now leaves a running service on its old definition.
      ...(ctx.alreadyInstalled ? [systemctl('restart', SERVICE_NAME)] : []),
    ],
    uninstall: [
      { ...systemctl('disable', '--now', SERVICE_NAME), mayFail: true },
      { kind: 'remove', path: unitPath },
      systemctl('daemon-reload'),
      { ...systemctl('reset-failed', SERVICE_NAME), mayFail: true },
    ],
    hints: [
      `check:  systemctl --user status ${SERVICE_NAME}`,
      `logs:   journalctl --user -u ${SERVICE_NAME} -f`,
      'without a logged-on session: loginctl enable-linger',
    ],
  };
}

function macosPlan(spec: ServiceSpec, ctx: PlanContext): ServicePlan {
  const agents = posix.join(ctx.homeDir, 'Library', 'LaunchAgents');
  const plistPath = posix.join(agents, LAUNCHD_PLIST_FILE);
  const logDir = spec.logDir ?? posix.join(ctx.homeDir, 'Library', 'Logs', SERVICE_NAME);
  const definition = renderLaunchdPlist({ ...spec, logDir });
  const domain = `gui/${ctx.uid ?? '<uid>'}`;
  const launchctl = (...args: string[]): RunStep => ({ kind: 'run', command: 'launchctl', args });
  return {
    platform: 'macos',
    definition,
    definitionPath: plistPath,
    probe: { kind: 'file', path: plistPath },
    install: [
      { kind: 'mkdir', path: agents },
      // launchd creates the log files but not their folder.
      { kind: 'mkdir', path: logDir },
      // A loaded older copy would make bootstrap fail.
      { ...launchctl('bootout', `${domain}/${LAUNCHD_LABEL}`), mayFail: true },
      { kind: 'write', path: plistPath, data: definition },
      // A service once disabled with `launchctl disable` refuses to bootstrap.
      launchctl('enable', `${domain}/${LAUNCHD_LABEL}`),
      launchctl('bootstrap', domain, plistPath),
    ],
    uninstall: [
      { ...launchctl('bootout', `${domain}/${LAUNCHD_LABEL}`), mayFail: true },
      { kind: 'remove', path: plistPath },
    ],
    hints: [
      `check:  launchctl print ${domain}/${LAUNCHD_LABEL}`,
      `logs:   ${launchdLogPaths(logDir).stdout} (stderr: ${launchdLogPaths(logDir).stderr})`,
    ],
  };
}

function windowsPlan(spec: ServiceSpec, ctx: PlanContext): ServicePlan {
  const xmlPath = pathStyle(ctx.tmpDir).join(ctx.tmpDir, `${SERVICE_NAME}-task.xml`);
  const definition = renderWindowsTask(spec);
  const schtasks = (...args: string[]): RunStep => ({ kind: 'run', command: 'schtasks', args });
  return {
    platform: 'windows',
    definition,
    definitionPath: xmlPath,
    probe: { kind: 'run', command: 'schtasks', args: ['/Query', '/TN', SERVICE_NAME] },
    install: [
      { kind: 'write', path: xmlPath, data: encodeTaskXml(definition), note: 'UTF-16LE' },
      schtasks('/Create', '/TN', SERVICE_NAME, '/XML', xmlPath, '/F'),
      { kind: 'remove', path: xmlPath },
      // The logon trigger fires only at the next logon: start it now as well. A machine-wide task
      // registered by the installer (as SYSTEM) may have no signed-in user to run for yet.
      { ...schtasks('/Run', '/TN', SERVICE_NAME), ...(spec.allUsers ? { mayFail: true } : {}) },
    ],
    uninstall: [
      // Deleting a task does not stop its running instance.
      { ...schtasks('/End', '/TN', SERVICE_NAME), mayFail: true },
      schtasks('/Delete', '/TN', SERVICE_NAME, '/F'),
    ],
    hints: [
      ...(spec.allUsers ? ['starts for every user in Users when they sign in'] : []),
      `check:  schtasks /Query /TN ${SERVICE_NAME} /V /FO LIST`,
      'logs:   the log.file of the config; Task Scheduler > imspooler > History for starts and exits',
    ],
  };
}

/** Renders the definition and lists the steps of install and uninstall for one platform. */
export function planService(
  platform: ServicePlatform,
  spec: ServiceSpec,
  ctx: PlanContext,
): ServicePlan {
  if (platform === 'linux') return linuxPlan(spec, ctx);
  if (platform === 'macos') return macosPlan(spec, ctx);
  return windowsPlan(spec, ctx);
}
