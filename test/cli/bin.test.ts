import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from '../e2e/harness.js';
import { runCli, type CliResult } from '../support/run-cli.js';

/**
 * The few checks where a process is the point: `bin/imspooler.js` as the OS starts it (built
 * dist/, the exit code the shell sees, the streams), and its refusal of a Node.js too old to run
 * the rest. Every other CLI test calls `main` in-process (test/support/run-cli.ts).
 */
function bin(args: string[], nodeArgs: string[] = []): Promise<CliResult> {
  return new Promise((resolve) =>
    execFile(process.execPath, [...nodeArgs, CLI, ...args], (e, stdout, stderr) =>
      resolve({ code: e ? Number(e.code) : 0, stdout, stderr }),
    ),
  );
}

describe('bin/imspooler.js, a real process', () => {
  it('exits with the code main returns, with the same output (0, 2 usage, 2 config)', async () => {
    const missing = fileURLToPath(new URL('./no-such-config.json', import.meta.url));
    for (const args of [['--version'], ['frobnicate'], ['status', '--config', missing]]) {
      const [proc, inProcess] = await Promise.all([bin(args), runCli(args, process.env)]);
      expect(proc).toEqual(inProcess);
    }
    expect((await bin(['frobnicate'])).code).toBe(2);
  });

  it('refuses a Node.js older than 22.13 with one line and exit 1, before importing anything newer', async () => {
    // This Node.js made to report 22.12.0: the check is the bin's first statement.
    const old = `data:text/javascript,${encodeURIComponent(
      'Object.defineProperty(process, "versions", { value: { ...process.versions, node: "22.12.0" } });' +
        'Object.defineProperty(process, "version", { value: "v22.12.0" });',
    )}`;
    const r = await bin(['status'], ['--import', old]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^imspooler: needs Node\.js 22\.13 or later, this is v22\.12\.0; run it as `npx imspooler`/); // prettier-ignore
    // Static imports run before the check: only built-ins every Node.js has may be among them.
    const source = await readFile(CLI, 'utf8');
    const statics = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(statics).toEqual(['node:fs', 'node:url']);
  });
});
