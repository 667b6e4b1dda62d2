import { describe, expect, it } from 'vitest';
import { isUsageError } from '../../src/errors/errors.js';
import { FAULTS_ENV, runSandboxCommand } from '../../src/sandbox/sandbox-command.js';
import { client, emlFiles, send, tempDir, thrown } from './ews-client.js';

function run(opts: Omit<Parameters<typeof runSandboxCommand>[0], 'signal'>) {
  const lines: string[] = [];
  const stop = new AbortController();
  let announce: (url: string) => void = () => undefined;
  const url = new Promise<string>((r) => (announce = r));
  const done = runSandboxCommand({ ...opts, signal: stop.signal }, (line) => {
    lines.push(line);
    const m = /listening at (\S+)/.exec(line);
    if (m?.[1]) announce(m[1]);
  });
  return { lines, url, done, stop: () => stop.abort() };
}

describe('runSandboxCommand', () => {
  it('prints the URL and mailbox, serves with the faults given, and stops cleanly', async () => {
    const mailbox = await tempDir('sbx-cmd');
    const cmd = run({ port: 0, mailbox, faults: '{"http503":{"count":1}}' });
    const svc = client(await cmd.url);
    expect((await thrown(() => send(svc)))['HttpStatusCode']).toBe(503);
    await send(svc);
    expect(await emlFiles(mailbox)).toHaveLength(1);
    cmd.stop();
    expect(await cmd.done).toBe(0);
    expect(cmd.lines).toContain(`mailbox: ${mailbox}`);
    expect(cmd.lines).toContain('active faults: http503');
    expect(cmd.lines.at(-1)).toBe('EWS sandbox stopped');
    expect(cmd.lines.join('\n')).not.toContain('Are you free');
  });

  it(`takes faults from ${FAULTS_ENV} when --faults is absent`, async () => {
    const cmd = run({
      port: 0,
      mailbox: await tempDir('sbx-cmd'),
      env: { [FAULTS_ENV]: '{"http401":true}' },
    });
    const svc = client(await cmd.url);
    expect((await thrown(() => send(svc)))['HttpStatusCode']).toBe(401);
    cmd.stop();
    await cmd.done;
  });

  it('refuses invalid faults JSON as a usage error, naming the source', async () => {
    const mailbox = await tempDir('sbx-cmd');
    const e = await runSandboxCommand({ port: 0, mailbox, faults: '{"teapot":1}' }, () => undefined).catch((x: unknown) => x); // prettier-ignore
    expect(isUsageError(e)).toBe(true);
    expect((e as Error).message).toBe(
      "--faults: invalid faults JSON (faults: unknown fault 'teapot')",
    );
    const f = await runSandboxCommand({ port: 0, mailbox, env: { [FAULTS_ENV]: '{' } }, () => undefined).catch((x: unknown) => x); // prettier-ignore
    expect((f as Error).message).toMatch(new RegExp(`^${FAULTS_ENV}: invalid faults JSON`));
  });
});
