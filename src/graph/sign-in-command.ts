/**
 * `imspooler graph-sign-in`: the per-user device-code sign-in. Prints where to go and which code
 * to enter, waits for the user, and stores the tokens in the encrypted cache the daemon reads.
 */
import type { Config } from '../config/config-types.js';
import { UsageError } from '../errors/errors.js';
import { deviceCodeSource } from '../delivery/open/open-graph.js';

/** Runs the sign-in; resolves to the exit code. */
export async function graphSignInCommand(
  config: Config,
  out: (line: string) => void,
  signal?: AbortSignal,
): Promise<number> {
  const g = config.delivery.graph;
  if (g.auth.type !== 'deviceCode') {
    throw new UsageError('graph-sign-in needs delivery.graph.auth.type "deviceCode" (app-only sign-in needs no user)'); // prettier-ignore
  }
  const source = deviceCodeSource(g, (why) => out(`the token cache could not be read (${why}); signing in afresh`)); // prettier-ignore
  const before = await source.account();
  if (before) out(`already signed in as ${before}; signing in again replaces it`);
  const account = await source.signIn((message) => out(message), signal);
  out(`signed in as ${account}; tokens kept encrypted in ${g.auth.cacheFile}`);
  return 0;
}
