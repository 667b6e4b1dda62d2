import { resolve } from 'node:path';
import { UsageError } from '../../errors/errors.js';
import { runSandboxCommand } from '../../sandbox/sandbox-command.js';
import { loadCommandConfig, type CommandContext } from '../context.js';

/** `imspooler sandbox [--port N] [--mailbox DIR] [--faults JSON]`. */
export async function sandboxCommand(
  ctx: CommandContext,
  opts: { port?: string; mailbox?: string; faults?: string },
): Promise<number> {
  const port = Number(opts.port ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(
      `--port: "${opts.port}" is not a port; expected an integer from 0 to 65535`,
    );
  }
  // Without --mailbox, the config's sandbox mailbox (so `npm start` and `sandbox` agree).
  const mailbox = opts.mailbox
    ? resolve(ctx.cwd, opts.mailbox)
    : (await loadCommandConfig(ctx)).delivery.sandbox.mailbox;
  return runSandboxCommand(
    { port, mailbox, ...(opts.faults ? { faults: opts.faults } : {}), env: ctx.env },
    ctx.out,
  );
}
