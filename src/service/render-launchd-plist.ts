import { posix } from 'node:path';
import {
  LAUNCHD_LABEL,
  daemonArgs,
  serviceEnvironment,
  validateSpec,
  type ServiceSpec,
} from './service-spec.js';
import { xmlEscapeText } from '../text/xml-escape.js';

/** The agent's file name in `~/Library/LaunchAgents`. */
export const LAUNCHD_PLIST_FILE = `${LAUNCHD_LABEL}.plist`;

/** Where launchd sends the daemon's stdout and stderr, given `logDir`. */
export function launchdLogPaths(logDir: string): { stdout: string; stderr: string } {
  return {
    stdout: posix.join(logDir, 'imspooler.out.log'),
    stderr: posix.join(logDir, 'imspooler.err.log'),
  };
}

const str = (value: string): string => `<string>${xmlEscapeText(value)}</string>`;
const key = (name: string): string => `<key>${xmlEscapeText(name)}</key>`;

/**
 * Renders the per-user LaunchAgent: started when the user's GUI session loads it, restarted when it
 * exits with a failure (`KeepAlive.SuccessfulExit = false`), but left alone after a clean stop.
 * `user` is not used: an agent always runs as the user whose domain it is bootstrapped into.
 */
export function renderLaunchdPlist(spec: ServiceSpec): string {
  validateSpec(spec);
  const args = [spec.nodePath, ...daemonArgs(spec)];
  const env = serviceEnvironment(spec)
    .map(([name, value]) => `      ${key(name)}\n      ${str(value)}`)
    .join('\n');
  const logs = spec.logDir === undefined ? undefined : launchdLogPaths(spec.logDir);
  const logLines =
    logs === undefined
      ? ''
      : `
    ${key('StandardOutPath')}
    ${str(logs.stdout)}
    ${key('StandardErrorPath')}
    ${str(logs.stderr)}`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
  <dict>
    ${key('Label')}
    ${str(LAUNCHD_LABEL)}
    ${key('ProgramArguments')}
    <array>
${args.map((a) => `      ${str(a)}`).join('\n')}
    </array>
    ${key('WorkingDirectory')}
    ${str(spec.workingDir)}
    ${key('EnvironmentVariables')}
    <dict>
${env}
    </dict>
    ${key('RunAtLoad')}
    <true/>
    ${key('KeepAlive')}
    <dict>
      ${key('SuccessfulExit')}
      <false/>
    </dict>
    ${key('ThrottleInterval')}
    <integer>10</integer>
    ${key('ExitTimeOut')}
    <integer>30</integer>
    ${key('Umask')}
    <integer>${0o077}</integer>
    ${key('ProcessType')}
    ${str('Background')}${logLines}
  </dict>
</plist>
`;
}
