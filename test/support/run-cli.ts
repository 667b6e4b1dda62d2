import { main } from '../../src/cli/main.js';

/** What a command printed and its exit code, as a user at a terminal would see them. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `imspooler ...args` in this process: the CLI's `main` from the source (no build, so never a stale
 * one), with its own environment and working folder and the output kept as text. For what a process
 * is the point of (signals, the OS's exit code, a lock between two processes), spawn `bin/imspooler.js`.
 */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main([...args], env, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    cwd,
  });
  return { code, stdout, stderr };
}
