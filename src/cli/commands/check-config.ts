import { redactUrlCredentials } from '../../config/url-credentials.js';
import { openTransport } from '../../daemon/open-transport.js';
import { loadCommandConfig, type CommandContext } from '../context.js';

/** `imspooler check-config [--probe]`: validates; `--probe` makes one authenticated EWS call. */
export async function checkConfigCommand(
  ctx: CommandContext,
  opts: { probe?: boolean },
): Promise<number> {
  const config = await loadCommandConfig(ctx);
  ctx.out(`config OK: ${config.configFile ?? '(defaults)'}`);
  // Config refuses a URL with a credential; masking here too keeps check-config safe whatever it prints.
  const url = redactUrlCredentials(config.delivery.ews.url);
  ctx.out(
    `  transport: ${config.delivery.transport}${config.delivery.transport === 'ews' ? ` (${url})` : ''}`,
  );
  ctx.out(`  spool folders: ${config.spool.paths.join(', ')}`);
  ctx.out(`  state: ${config.stateDir}`);
  if (!opts.probe) return 0;
  const opened = await openTransport(config, ctx.env);
  try {
    const what = await opened.transport.probe(
      AbortSignal.timeout(config.delivery.ews.timeout + 1000),
    );
    ctx.out(`probe OK: ${what}`);
  } finally {
    await opened.close();
  }
  return 0;
}
