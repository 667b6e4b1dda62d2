import { posix } from 'node:path';
import { daemonArgs, validateSpec, serviceEnvironment, type ServiceSpec } from './service-spec.js';
import {
  systemdEnvAssignment,
  systemdExecArg,
  systemdExecPath,
  systemdFileUri,
  systemdPath,
} from './systemd-escape.js';

/** The unit's file name; also what `systemctl --user ... imspooler` refers to. */
export const SYSTEMD_UNIT_FILE = 'imspooler.service';

/**
 * Renders the systemd user unit (`systemctl --user`). It runs in the user's session manager, so it
 * sees the user's files; `user` is not used (user units cannot switch accounts). Hardening is
 * limited to options that work unprivileged: mount-namespace options such as `ProtectSystem=` or
 * `PrivateTmp=` need user namespaces there and would also hide spool folders under /tmp.
 */
export function renderSystemdUnit(spec: ServiceSpec): string {
  validateSpec(spec);
  const execStart = [systemdExecPath(spec.nodePath), ...daemonArgs(spec).map(systemdExecArg)].join(
    ' ',
  );
  // The self-contained program has no docs folder beside it.
  const docs =
    spec.cliPath === undefined
      ? ''
      : `\nDocumentation=${systemdFileUri(
          posix.join(posix.dirname(posix.dirname(spec.cliPath)), 'docs', 'service.md'),
        )}`;
  const environment = serviceEnvironment(spec)
    .map(([name, value]) => `Environment=${systemdEnvAssignment(name, value)}`)
    .join('\n');
  return `[Unit]
Description=imspooler: delivers Skype for Business History Spooler messages through Exchange Web Services${docs}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${execStart}
WorkingDirectory=${systemdPath(spec.workingDir)}
${environment}
# Secrets (the variable named by passwordEnv or tokenEnv) go in this optional file, mode 600.
EnvironmentFile=-%h/.config/imspooler/env
Restart=on-failure
RestartSec=10s
KillSignal=SIGTERM
# Covers delivery.shutdownTimeout (10 s by default) plus flushing the logs.
TimeoutStopSec=30
StandardOutput=journal
StandardError=journal
SyslogIdentifier=imspooler
UMask=0077
NoNewPrivileges=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes

[Install]
WantedBy=default.target
`;
}
