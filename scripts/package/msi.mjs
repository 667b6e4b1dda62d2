// Builds release/imspooler-<version>-x64.msi from the Windows program with wixl (Debian's `wixl`,
// beside msitools), then adds what wixl cannot write from WiX XML with msibuild: the Environment
// table, which puts imspooler on the machine's PATH and sets IMSPOOLER_CONFIG for every user, and
// CONFIG among the secure properties (wixl writes that row itself, for its upgrade properties).
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Environment rows. Name prefixes: `=` set at install, `-` removed at uninstall, `*` machine-wide.
 * `[~];` appends to the existing value, as WiX writes `Part="last"`.
 */
export const ENVIRONMENT_ROWS = [
  ['ImspoolerPath', '=-*PATH', '[~];[INSTALLDIR]', 'Program'],
  ['ImspoolerConfig', '=-*IMSPOOLER_CONFIG', '[CONFIG]', 'Program'],
];

const sql = (value) => `'${value.replaceAll("'", "''")}'`;

/** The msibuild queries that add the Environment table and its two standard actions. */
export function environmentQueries() {
  return [
    'CREATE TABLE `Environment` (`Environment` CHAR(72) NOT NULL, `Name` CHAR(255) NOT NULL LOCALIZABLE, `Value` CHAR(255) LOCALIZABLE, `Component_` CHAR(72) NOT NULL PRIMARY KEY `Environment`)',
    ...ENVIRONMENT_ROWS.map(
      (row) =>
        `INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES (${row.map(sql).join(', ')})`,
    ),
    // A managed (elevated) install takes only secure public properties from the command line.
    "UPDATE `Property` SET `Value` = 'CONFIG;WIX_DOWNGRADE_DETECTED;WIX_UPGRADE_DETECTED' WHERE `Property` = 'SecureCustomProperties'",
    // The standard sequence numbers of these actions.
    "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('RemoveEnvironmentStrings', 3300)",
    "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('WriteEnvironmentStrings', 5200)",
  ];
}

/** The WiX source for `version` with `exe` (relative to where wixl runs) as the program. */
export function renderWxs(version, exe) {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`an MSI version is three numbers (major.minor.build), not ${version}`);
  }
  return readFileSync(join(here, 'imspooler.wxs'), 'utf8')
    .replaceAll('@VERSION@', version)
    .replaceAll('@EXE@', exe);
}

/** wixl + msibuild: `exe` (the Windows program) -> `out`. `work`: a scratch folder. */
export function buildMsi({ exe, version, out, work }) {
  // wixl looks for a File's Source relative to the folder it runs in; absolute paths it refuses.
  copyFileSync(exe, join(work, 'imspooler.exe'));
  writeFileSync(join(work, 'imspooler.wxs'), renderWxs(version, 'imspooler.exe'));
  execFileSync('wixl', ['-a', 'x64', '-o', resolve(out), 'imspooler.wxs'], {
    cwd: work,
    stdio: 'inherit',
  });
  for (const query of environmentQueries()) {
    execFileSync('msibuild', [out, '-q', query], { stdio: 'inherit' });
  }
}
