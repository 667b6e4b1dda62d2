import { startDaemon } from '../../daemon/daemon.js';
import { openTransport } from '../../daemon/open-transport.js';
import { handleStopSignals } from '../../daemon/signals.js';
import { makeEventLog } from '../../log/logger.js';
import { loadCommandConfig, packageVersion, type CommandContext } from '../context.js';

/** `imspooler run`: the daemon in the foreground until SIGINT/SIGTERM (SIGBREAK on Windows). */
export async function runCommand(ctx: CommandContext): Promise<number> {
  const config = await loadCommandConfig(ctx);
  const secrets: string[] = [];
  const log = makeEventLog({
    level: config.log.level,
    file: config.log.file,
    stdout: true,
    secrets: () => secrets,
  });
  let daemon;
  try {
    daemon = await startDaemon({
      config,
      log,
      version: packageVersion,
      env: ctx.env,
      openTransport: async (c) => {
        const opened = await openTransport(c, ctx.env);
        secrets.push(...opened.secrets);
        return opened;
      },
    });
  } catch (e) {
    log.diag('error', `daemon failed to start: ${e instanceof Error ? e.message : String(e)}`);
    await log.close();
    throw e;
  }
  const running = daemon;
  return new Promise<number>((resolve) => {
    handleStopSignals({
      platform: process.platform,
      forceAfterMs: config.delivery.shutdownTimeout + 5000,
      stop: async (reason) => {
        await running.stop(`signal ${reason}`);
        await log.close();
      },
      exit: resolve,
      warn: (m) => ctx.err(`imspooler: ${m}`),
    });
  });
}
