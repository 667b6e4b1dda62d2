import { chooseConfigFile } from '../../config/load-config.js';
import {
  makeServiceDeps,
  parseServiceAction,
  parseServicePlatform,
  runServiceCommand,
} from '../../service/service-command.js';
import { configFileChoice, loadCommandConfig, type CommandContext } from '../context.js';

/**
 * `imspooler service install|uninstall|print [--platform P] [--allow-sandbox] [--dry-run]
 * [--all-users]`. With `--all-users` (the MSI's machine-wide task) the config is named, not read:
 * an administrator may deploy it after the program.
 */
export async function serviceCli(
  ctx: CommandContext,
  action: string,
  opts: { platform?: string; allowSandbox?: boolean; dryRun?: boolean; allUsers?: boolean },
): Promise<number> {
  const parsedAction = parseServiceAction(action);
  const config = opts.allUsers
    ? { configFile: chooseConfigFile(configFileChoice(ctx)).file, transport: undefined }
    : await loadCommandConfig(ctx).then((c) => ({
        configFile: c.configFile ?? '',
        transport: c.delivery.transport,
      }));
  await runServiceCommand(
    parsedAction,
    {
      ...(opts.platform ? { platform: parseServicePlatform(opts.platform) } : {}),
      configFile: config.configFile,
      ...(config.transport === undefined ? {} : { transport: config.transport }),
      ...(opts.allowSandbox ? { allowSandbox: true } : {}),
      ...(opts.dryRun ? { dryRun: true } : {}),
      ...(opts.allUsers ? { allUsers: true } : {}),
    },
    makeServiceDeps(ctx.out, ctx.env),
  );
  return 0;
}
