import {
  makeServiceDeps,
  parseServiceAction,
  parseServicePlatform,
  runServiceCommand,
} from '../../service/service-command.js';
import { loadCommandConfig, type CommandContext } from '../context.js';

/** `imspooler service install|uninstall|print [--platform P] [--allow-sandbox] [--dry-run]`. */
export async function serviceCli(
  ctx: CommandContext,
  action: string,
  opts: { platform?: string; allowSandbox?: boolean; dryRun?: boolean },
): Promise<number> {
  const parsedAction = parseServiceAction(action);
  const config = await loadCommandConfig(ctx);
  await runServiceCommand(
    parsedAction,
    {
      ...(opts.platform ? { platform: parseServicePlatform(opts.platform) } : {}),
      configFile: config.configFile ?? '',
      transport: config.delivery.transport,
      ...(opts.allowSandbox ? { allowSandbox: true } : {}),
      ...(opts.dryRun ? { dryRun: true } : {}),
    },
    makeServiceDeps(ctx.out, ctx.env),
  );
  return 0;
}
