import { UsageError } from '../errors/errors.js';
import { DAEMON_NODE_FLAGS } from '../platform/node-flags.js';
import { SERVICE_NAME, USERS_GROUP_SID, validateSpec, type ServiceSpec } from './service-spec.js';
import { xmlEscapeText } from '../text/xml-escape.js';

/**
 * Quotes one argument for a Windows command line so that the MSVC runtime (and so Node's
 * `process.argv`) reads it back unchanged: backslashes are literal except before a quote, where
 * they must be doubled, and that includes the closing quote we add.
 */
export function quoteWindowsArg(arg: string): string {
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes += 1;
      continue;
    }
    if (ch === '"') {
      out += '\\'.repeat(backslashes * 2 + 1) + '"';
    } else {
      out += '\\'.repeat(backslashes) + ch;
    }
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

// Task Scheduler runs Command, Arguments and WorkingDirectory through ExpandEnvironmentStrings,
// which has no escape: a path holding `%NAME%` could silently turn into another path.
const EXPANDABLE = /%[^%\\/:*?"<>|]+%/;

function checkWindowsPath(name: string, value: string): void {
  if (value.includes('"')) {
    throw new UsageError(`service: ${name} ${JSON.stringify(value)} contains a double quote`);
  }
  if (EXPANDABLE.test(value)) {
    throw new UsageError(
      `service: ${name} ${JSON.stringify(value)} contains %NAME%, which Task Scheduler would expand as an environment variable; move the file to a path without it`,
    );
  }
}

/**
 * The task's `Arguments`: node's flags for the daemon (`DAEMON_NODE_FLAGS`, no spaces in them),
 * then `"<cli>" run --config "<file>"`, each path quoted for Windows; the self-contained program
 * needs no script and carries the flags inside itself, so for it only `run --config "<file>"`.
 */
export function windowsTaskArguments(spec: ServiceSpec): string {
  const script =
    spec.cliPath === undefined
      ? ''
      : `${[...DAEMON_NODE_FLAGS, quoteWindowsArg(spec.cliPath)].join(' ')} `;
  return `${script}run --config ${quoteWindowsArg(spec.configFile)}`;
}

/**
 * Renders the Task Scheduler definition (schema 1.2, Windows 7 and later) of a per-user task: it
 * starts when that user logs on, runs with the user's own non-elevated token (the spool folders,
 * credentials and environment are the user's), restarts after a failure and has no time limit.
 * With `allUsers` it is one task for every member of Users, each run as themselves at sign-in.
 * The text declares UTF-16, as Task Scheduler's own exports do: write it with `encodeTaskXml`.
 */
export function renderWindowsTask(spec: ServiceSpec): string {
  validateSpec(spec);
  for (const [name, value] of [
    ['nodePath', spec.nodePath],
    ['cliPath', spec.cliPath],
    ['configFile', spec.configFile],
    ['workingDir', spec.workingDir],
  ] as const) {
    if (value !== undefined) checkWindowsPath(name, value);
  }
  if (spec.user === undefined && !spec.allUsers) {
    throw new UsageError('service: the Windows task needs the account it runs as (DOMAIN\\name)');
  }
  const user = xmlEscapeText(spec.user ?? '');
  // A task for one user names them in its trigger and principal; the machine-wide one (the MSI's)
  // fires at anyone's sign-in and runs as whoever signed in, if they are in Users.
  const author = spec.allUsers ? SERVICE_NAME : user;
  const triggerUser = spec.allUsers ? '' : `\n      <UserId>${user}</UserId>`;
  const principal = spec.allUsers
    ? `<GroupId>${USERS_GROUP_SID}</GroupId>`
    : `<UserId>${user}</UserId>
      <LogonType>InteractiveToken</LogonType>`;
  // Each user's daemon has its own state folder, so several signed-in users each run one.
  const instances = spec.allUsers ? 'Parallel' : 'IgnoreNew';
  // Task Scheduler splits an unquoted Command at the first space.
  const command = spec.nodePath.includes(' ') ? `"${spec.nodePath}"` : spec.nodePath;
  return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>imspooler: delivers instant messages stuck in the Skype for Business History Spooler through Exchange Web Services.</Description>
    <Author>${author}</Author>
    <URI>\\${SERVICE_NAME}</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>${triggerUser}
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      ${principal}
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>${instances}</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Priority>7</Priority>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>${xmlEscapeText(command)}</Command>
      <Arguments>${xmlEscapeText(windowsTaskArguments(spec))}</Arguments>
      <WorkingDirectory>${xmlEscapeText(spec.workingDir)}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
`;
}

/** The bytes `schtasks /XML` expects for a UTF-16 declaration: UTF-16LE with a byte-order mark. */
export function encodeTaskXml(xml: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
}
