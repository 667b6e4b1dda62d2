import { Command, CommanderError, Option } from 'commander';
import { isConfigError, isDeliveryError, isUsageError } from '../errors/errors.js';
import type { checkConfigCommand as CheckConfig } from './commands/check-config.js';
import type { controlCommand as Control } from './commands/control.js';
import type { draftsCommand as Drafts } from './commands/drafts.js';
import type { graphSignInCommand as GraphSignIn } from '../graph/sign-in-command.js';
import type { runCommand as Run } from './commands/run.js';
import type { sandboxCommand as Sandbox } from './commands/sandbox.js';
import type { serviceCli as Service } from './commands/service.js';
import type { historyCommand as History } from './commands/history.js';
import type { showCommand as Show } from './commands/show.js';
import type { statusCommand as Status } from './commands/status.js';
import { loadCommandConfig, packageVersion, type CommandContext } from './context.js';

// Each command's module is loaded when that command runs: the daemon's (EWS client, winston,
// prom-client) takes over a second of CPU to load, which `status` and the other quick commands
// should not pay (docs/performance.md).
const runCommand: typeof Run = async (...a) => (await import('./commands/run.js')).runCommand(...a);
const statusCommand: typeof Status = async (...a) =>
  (await import('./commands/status.js')).statusCommand(...a);
const showCommand: typeof Show = async (...a) =>
  (await import('./commands/show.js')).showCommand(...a);
const historyCommand: typeof History = async (...a) =>
  (await import('./commands/history.js')).historyCommand(...a);
const draftsCommand: typeof Drafts = async (...a) =>
  (await import('./commands/drafts.js')).draftsCommand(...a);
const controlCommand: typeof Control = async (...a) =>
  (await import('./commands/control.js')).controlCommand(...a);
const sandboxCommand: typeof Sandbox = async (...a) =>
  (await import('./commands/sandbox.js')).sandboxCommand(...a);
const checkConfigCommand: typeof CheckConfig = async (...a) =>
  (await import('./commands/check-config.js')).checkConfigCommand(...a);
const serviceCli: typeof Service = async (...a) =>
  (await import('./commands/service.js')).serviceCli(...a);
// Through open-graph.js this loads MSAL and the EWS client.
const graphSignInCommand: typeof GraphSignIn = async (...a) =>
  (await import('../graph/sign-in-command.js')).graphSignInCommand(...a);

/** Maps a failure to the contract's exit codes: 2 for bad usage or config, 1 for the rest. */
export function describeFailure(e: unknown, verbose: boolean): { code: number; lines: string[] } {
  if (isConfigError(e)) {
    return {
      code: 2,
      lines: [
        'imspooler: invalid configuration:',
        ...e.problems.map((p) => `  ${p.key}: ${p.message}`),
      ],
    };
  }
  if (isUsageError(e)) return { code: 2, lines: [`imspooler: ${e.message}`] };
  const msg = isDeliveryError(e)
    ? `${e.code}: ${e.message}`
    : e instanceof Error
      ? e.message
      : String(e);
  const lines = [`imspooler: ${msg}`];
  if (verbose && e instanceof Error && e.stack) lines.push(e.stack);
  return { code: 1, lines };
}

/**
 * Where the CLI reads and writes: the process's own streams for `imspooler`, strings in a test.
 * Writers get text exactly as it is to appear (newlines included).
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** What a relative `--config`, `IMSPOOLER_CONFIG` or `--mailbox` is relative to. */
  cwd: string;
}

/**
 * The whole CLI as a function: parses `argv` (the arguments after the program's name), runs the
 * command and returns the exit code. It never exits the process nor reads `process.env`/`argv`;
 * `entry.ts` gives it the real ones. Only `run` and `sandbox`, which serve until a signal, install
 * signal handlers on the process they run in.
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let verbose = argv.includes('--verbose');
  const ctx = (cmd: Command): CommandContext => {
    const o = cmd.optsWithGlobals<{ config?: string; verbose?: boolean }>();
    verbose = Boolean(o.verbose);
    return {
      configFile: o.config,
      env,
      cwd: io.cwd,
      out: (t) => io.stdout(`${t}\n`),
      err: (t) => io.stderr(`${t}\n`),
    };
  };
  let exit = 0;
  const program = new Command('imspooler')
    .description('Rescues offline instant messages from the Skype for Business History Spooler')
    .version(packageVersion)
    .option('--config <file>', 'config file (default: $IMSPOOLER_CONFIG, then config/default.json)')
    .option('--verbose', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  program
    .command('run')
    .description('run the daemon in the foreground until SIGINT/SIGTERM')
    .action(async (_o, cmd: Command) => void (exit = await runCommand(ctx(cmd))));
  program
    .command('status')
    .description('show the queue (works whether or not the daemon runs; changes nothing)')
    .option('--json', 'one JSON document')
    .option(
      '--state <states>',
      'only these states, comma-separated (grace, queued, active, deferred, held, failed, quarantined)',
    )
    .option('--all', 'every item in the table (by default the counts and the first 50 rows)')
    .action(async (o, cmd: Command) => void (exit = await statusCommand(ctx(cmd), o)));
  program
    .command('show <id>')
    .description(
      'one item, queued or in the history (delivered, deleted): origin, envelope, every attempt',
    )
    .option('--json', 'as JSON')
    .option('--body', 'include the message text')
    .action(
      async (id: string, o, cmd: Command) => void (exit = await showCommand(ctx(cmd), id, o)),
    );
  program
    .command('history')
    .description(
      'items seen within history.retention, queued or gone, newest first (works with or without the daemon)',
    )
    .option('--json', 'one JSON document')
    .option('--from <addr>', 'only items from this sender')
    .option('--to <addr>', 'only items to this recipient (To or Cc)')
    .option('--since <duration>', 'only items first seen within this time (e.g. 24h, 7d)')
    .option('--limit <n>', 'at most this many (default 100)')
    .action(async (o, cmd: Command) => void (exit = await historyCommand(ctx(cmd), o)));
  program
    .command('retry [id]')
    .description('make a deferred or failed item due now')
    .option('--all', 'every deferred and failed item')
    .action(async (id: string | undefined, o: { all?: boolean }, cmd: Command) => {
      exit = await controlCommand(ctx(cmd), 'retry', {
        ...(id ? { id } : {}),
        ...(o.all ? { all: true } : {}),
      });
    });
  for (const [name, text] of [
    ['hold', 'park an item: it is not sent until released'],
    ['release', 'put a held item back in the queue, due now'],
    ['delete', 'remove an item for good (asks nothing; logged)'],
  ] as const) {
    program
      .command(`${name} <id>`)
      .description(text)
      .action(
        async (id: string, _o, cmd: Command) =>
          void (exit = await controlCommand(ctx(cmd), name, { id })),
      );
  }
  program
    .command('sandbox')
    .description('run the embedded EWS sandbox server on 127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .option('--mailbox <dir>', 'folder for delivered messages (.eml)')
    .option('--faults <json>', 'fault switches, e.g. {"serverBusy":{"backOffMs":5000,"count":3}}')
    .action(async (o, cmd: Command) => void (exit = await sandboxCommand(ctx(cmd), o)));
  program
    .command('drafts <action> [id]')
    .description(
      'offline messages a failed client left in Drafts: list [--json], send ID, delete ID (logged)',
    )
    .option('--json', 'list as one JSON document')
    .action(
      async (action: string, id: string | undefined, o: { json?: boolean }, cmd: Command) =>
        void (exit = await draftsCommand(ctx(cmd), action, id, o)),
    );
  program
    .command('check-config')
    .description('validate the config; --probe also makes one authenticated EWS call')
    .option('--probe', 'make one authenticated call to the server')
    .action(async (o, cmd: Command) => void (exit = await checkConfigCommand(ctx(cmd), o)));
  program
    .command('graph-sign-in')
    .description(
      'sign in to Microsoft Graph with a device code (delivery.graph.auth.type "deviceCode")',
    )
    .action(async (_o, cmd: Command) => {
      const c = ctx(cmd);
      exit = await graphSignInCommand(await loadCommandConfig(c), c.out);
    });
  program
    .command('service <action>')
    .description(
      'install, uninstall or print the service definition (Scheduled Task, systemd user unit, LaunchAgent)',
    )
    .addOption(
      new Option('--platform <platform>', 'platform to render for').choices([
        'windows',
        'linux',
        'macos',
      ]),
    )
    .option('--allow-sandbox', 'install even though the config uses the sandbox transport')
    .option('--dry-run', 'print what install/uninstall would write and run')
    .option(
      '--all-users',
      'Windows: one task for every user who signs in (run as administrator; what the MSI does)',
    )
    .action(
      async (action: string, o, cmd: Command) =>
        void (exit = await serviceCli(ctx(cmd), action, o)),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed its message; --help and --version are not failures.
      return e.exitCode === 0 ? 0 : 2;
    }
    const { code, lines } = describeFailure(e, verbose);
    for (const l of lines) io.stderr(`${l}\n`);
    return code;
  }
}
