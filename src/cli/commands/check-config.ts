import { lstat, readdir } from 'node:fs/promises';
import type { AuthConfig, Config } from '../../config/config-types.js';
import { redactUrlCredentials } from '../../config/url-credentials.js';
import { openTransport } from '../../delivery/open/open-transport.js';
import { isConfigError, isDeliveryError } from '../../errors/errors.js';
import { resolveSpoolPaths } from '../../spool/discover.js';
import { loadCommandConfig, type CommandContext } from '../context.js';

/**
 * `imspooler check-config [--probe]`: one verdict. Everything is checked before anything is
 * printed, so a failed probe (or a password variable that is not set) never follows a
 * `config OK`. What may be fine later (a spool folder not created yet, a variable only the
 * service's environment sets) is a warning beside the verdict, not a failure.
 */
export async function checkConfigCommand(
  ctx: CommandContext,
  opts: { probe?: boolean },
): Promise<number> {
  const config = await loadCommandConfig(ctx);
  let probed: string | undefined;
  if (opts.probe) probed = await probe(config, ctx.env);
  const warnings = [
    ...(await spoolWarnings(config, ctx.env)),
    ...(opts.probe ? [] : secretWarnings(config, ctx.env)),
  ];
  const also = warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : ''; // prettier-ignore
  ctx.out(`config OK${also}: ${config.configFile ?? '(defaults)'}`);
  // Config refuses a URL with a credential; masking here too keeps check-config safe whatever it prints.
  const url = redactUrlCredentials(config.delivery.ews.url);
  ctx.out(
    `  transport: ${config.delivery.transport}${config.delivery.transport === 'ews' ? ` (${url})` : ''}`,
  );
  ctx.out(`  spool folders: ${config.spool.paths.join(', ')}`);
  ctx.out(`  state: ${config.stateDir}`);
  for (const w of warnings) ctx.out(`warning: ${w}`);
  if (probed !== undefined) ctx.out(`probe OK: ${probed}`);
  return 0;
}

/** One authenticated call; a failure is the verdict (exit 2 for config, else 1). */
async function probe(config: Config, env: NodeJS.ProcessEnv): Promise<string> {
  let opened;
  try {
    opened = await openTransport(config, env);
    return await opened.transport.probe(AbortSignal.timeout(config.delivery.ews.timeout + 1000));
  } catch (e) {
    if (isConfigError(e)) throw e;
    const what = isDeliveryError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
    throw new Error(`config is valid, but the probe failed: ${what}`, { cause: e });
  } finally {
    await opened?.close();
  }
}

/** Spool folders that are missing or unreadable now: fine if they appear later, worth saying. */
async function spoolWarnings(config: Config, env: NodeJS.ProcessEnv): Promise<string[]> {
  const x = await resolveSpoolPaths(config.spool.paths, env, process.platform, { readdir });
  const out = [...x.warnings];
  if (x.folders.length === 0 && x.warnings.length === 0)
    out.push('spool.paths "auto" finds no History Spooler folder yet (no sip_* profile)');
  for (const folder of x.folders) {
    const problem = await lstat(folder).then(
      (s) => (s.isDirectory() ? undefined : 'is not a folder'),
      (e: NodeJS.ErrnoException) =>
        e.code === 'ENOENT' ? 'does not exist (yet)' : `cannot be read (${e.code})`,
    );
    if (problem)
      out.push(`spool folder ${folder} ${problem}: the daemon watches for it and takes files from it once it is there`); // prettier-ignore
  }
  return out;
}

/** Secret variables not set here: the daemon's own environment (a service) may set them. */
function secretWarnings(config: Config, env: NodeJS.ProcessEnv): string[] {
  const t = config.delivery.transport;
  if (t !== 'ews' && t !== 'auto') return [];
  const name = secretVariable(config.delivery.ews.auth);
  if (name === undefined || env[name]) return [];
  return [
    `${name} (delivery.ews.auth) is not set here: the daemon needs it in its own environment; --probe checks it`,
  ];
}

/** The environment variable a secret comes from, if it comes from one. */
export function secretVariable(auth: AuthConfig): string | undefined {
  return auth.type === 'oauth' ? auth.tokenEnv : auth.passwordEnv;
}
