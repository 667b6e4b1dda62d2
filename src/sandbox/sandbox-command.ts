import { UsageError } from '../errors/errors.js';
import { FaultConfigError, normalizeFaults, type FaultConfig } from './faults.js';
import { startSandbox, type SandboxAuth } from './sandbox-server.js';

/** Environment variable with a faults JSON document, for demos (`--faults` wins over it). */
export const FAULTS_ENV = 'IMSPOOLER_SANDBOX_FAULTS';

export interface SandboxCommandOptions {
  /** 0 = any free port. */
  port: number;
  /** Mailbox folder (absolute, or relative to the working directory). */
  mailbox: string;
  /** Faults as JSON, e.g. `{"serverBusy":{"backOffMs":5000,"count":2}}`. */
  faults?: string;
  /** Require these credentials (none: accept any). */
  auth?: SandboxAuth;
  /** Where `IMSPOOLER_SANDBOX_FAULTS` is read from (default: none). */
  env?: NodeJS.ProcessEnv;
  /** Stops the sandbox like a signal would (for tests and embedding). */
  signal?: AbortSignal;
}

function parseFaults(text: string | undefined, source: string): FaultConfig | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    normalizeFaults(value);
    return value as FaultConfig;
  } catch (e) {
    const why = e instanceof FaultConfigError || e instanceof SyntaxError ? e.message : String(e);
    throw new UsageError(`${source}: invalid faults JSON (${why})`);
  }
}

/**
 * `imspooler sandbox`: runs the EWS sandbox on 127.0.0.1, prints its URL and mailbox, and stays
 * until SIGINT/SIGTERM (SIGBREAK on Windows) or the abort signal. Resolves to the exit code.
 * Throws UsageError for invalid faults JSON.
 */
export async function runSandboxCommand(
  opts: SandboxCommandOptions,
  out: (text: string) => void,
): Promise<number> {
  const faults =
    parseFaults(opts.faults, '--faults') ?? parseFaults(opts.env?.[FAULTS_ENV], FAULTS_ENV);
  const handle = await startSandbox({
    port: opts.port,
    mailboxDir: opts.mailbox,
    ...(faults ? { faults } : {}),
    ...(opts.auth ? { auth: opts.auth } : {}),
    log: (line) => out(line),
  });
  out(`EWS sandbox listening at ${handle.url}`);
  out(`mailbox: ${opts.mailbox}`);
  out(`faults: GET/POST/DELETE http://127.0.0.1:${handle.port}/sandbox/faults`);
  const active = Object.keys(handle.faults.get());
  if (active.length) out(`active faults: ${active.join(', ')}`);

  await new Promise<void>((resolve) => {
    const signals: NodeJS.Signals[] =
      process.platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];
    const stop = () => {
      for (const s of signals) process.off(s, stop);
      opts.signal?.removeEventListener('abort', stop);
      resolve();
    };
    for (const s of signals) process.on(s, stop);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop);
  });
  await handle.close();
  out('EWS sandbox stopped');
  return 0;
}
