import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { overlapOf } from '../../src/config/path-overlap.js';
import { makeRedactor } from '../../src/log/redact.js';
import { runCli, type CliResult as Run } from '../support/run-cli.js';

/** The CLI (in this process), with a config written to a temp folder; no daemon is involved. */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imspooler-config-edges-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(config: string, ...args: string[]): Promise<Run> {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, config);
  const env: NodeJS.ProcessEnv = { ...process.env, IMSPOOLER_CONFIG: file };
  for (const name of Object.keys(env)) if (name.startsWith('IMSPOOLER__')) delete env[name];
  return runCli([...args, '--config', file], env);
}

/** The problem lines of an invalid-config report (everything after the heading). */
const problemLines = (stderr: string): string[] =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('imspooler: invalid configuration:'));

const sandbox = { delivery: { transport: 'sandbox' }, spool: { paths: ['./spool'] } };
const baseDir = resolve('/srv/imspooler');

describe('issue 10.13: config edge cases end in a line naming the key, not in Node’s words', () => {
  const deep = (n: number): string =>
    `{"delivery":{"transport":"sandbox"},"policy":${'['.repeat(n)}${']'.repeat(n)}}`;

  it('a config nested 200,000 levels deep: exit 2, one line naming the key', async () => {
    const r = await cli(deep(200_000), 'check-config');
    expect(r.stderr).not.toMatch(/call stack|RangeError/);
    expect(r.code).toBe(2);
    expect(problemLines(r.stderr)).toEqual([expect.stringMatching(/^ {2}policy: is nested more than 32 levels deep/)]); // prettier-ignore
  });

  it('the same for run, before anything starts', async () => {
    const r = await cli(deep(200_000), 'run');
    expect(r.code).toBe(2);
    expect(problemLines(r.stderr)).toEqual([expect.stringMatching(/^ {2}policy: is nested/)]);
  });

  it('a deep document that is also not valid JSON is located, not overflowed', async () => {
    const r = await cli(`{"policy":${'['.repeat(200_000)}`, 'check-config');
    expect(r.stderr).not.toMatch(/call stack|RangeError/);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /invalid JSON at line 1, column \d+: nested more than 1000 levels deep/,
    );
  });

  it('a value nested deep through an environment override is caught too (pure)', () => {
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = [value];
    const result = parseConfig({ ...sandbox, retry: { minDelay: value } }, { baseDir });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toEqual([{ key: 'retry', message: expect.stringMatching(/nested more than/) as string }]); // prettier-ignore
  });

  it('the real config shape is not mistaken for deep nesting', () => {
    const result = parseConfig(
      { ...sandbox, delivery: { transport: 'sandbox', ews: { auth: { type: 'oauth', tokenEnv: 'T' } } } }, // prettier-ignore
      { baseDir },
    );
    expect(result.ok).toBe(true);
  });

  it('a stateDir containing NUL: check-config exits 2 naming stateDir', async () => {
    const r = await cli(JSON.stringify({ ...sandbox, stateDir: './var\u0000x' }), 'check-config');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(problemLines(r.stderr)).toEqual([expect.stringMatching(/^ {2}stateDir: "\.\/var\\u0000x" is not allowed; expected .*without NUL/)]); // prettier-ignore
  });

  it('a stateDir containing NUL: run exits 2 with the same line, not a Node message', async () => {
    const r = await cli(JSON.stringify({ ...sandbox, stateDir: './var\u0000x' }), 'run');
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/ERR_INVALID_ARG|null bytes/);
    expect(problemLines(r.stderr)).toEqual([expect.stringMatching(/^ {2}stateDir: .*without NUL/)]);
  });

  it('NUL is refused in every path and text key, each named (pure)', () => {
    const result = parseConfig(
      {
        spool: { paths: ['./sp\u0000ool'] },
        stateDir: './state',
        delivery: { transport: 'ews', ews: { url: 'https://mail.contoso.com/EWS/Exchange.asmx', auth: { type: 'basic', username: 'al\u0000ice', passwordEnv: 'P' } } }, // prettier-ignore
        log: { file: './l\u0000og' },
      },
      { baseDir },
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems.map((p) => p.key).sort()).toEqual([
        'delivery.ews.auth.username',
        'log.file',
        'spool.paths[0]',
      ]);
    }
  });
});

describe('issue 10.10: a credential inside a URL is refused and never printed back', () => {
  const SECRET = 'Hunter2-s3cret';
  const ewsWith = (url: string): object => ({
    spool: { paths: ['./spool'] },
    delivery: { transport: 'ews', ews: { url, auth: { type: 'basic', username: 'alice', passwordEnv: 'P' } } }, // prettier-ignore
  });
  const graphWith = (graph: object): object => ({
    spool: { paths: ['./spool'] },
    delivery: { transport: 'graph', graph: { tenant: 'contoso.onmicrosoft.com', clientId: '11111111-2222-3333-4444-555555555555', auth: { type: 'app', clientSecretEnv: 'S' }, ...graph } }, // prettier-ignore
  });

  it('delivery.graph.url with user:password: exit 2 naming the key, the password nowhere', async () => {
    const r = await cli(JSON.stringify(graphWith({ url: `https://u:${SECRET}@graph.example.com/v1.0` })), 'check-config'); // prettier-ignore
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    expect(problemLines(r.stderr)).toEqual([expect.stringMatching(/^ {2}delivery\.graph\.url: must not carry a credential \(it holds a user name or password\)/)]); // prettier-ignore
  });

  it('a malformed EWS URL holding a password is not echoed', async () => {
    const r = await cli(JSON.stringify(ewsWith(`https://alice:${SECRET}@[mail/EWS/Exchange.asmx`)), 'check-config'); // prettier-ignore
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    expect(r.stderr).toMatch(/delivery\.ews\.url: must not carry a credential/);
  });

  it('?password= in the EWS URL: refused (it was accepted and printed by check-config)', async () => {
    const r = await cli(JSON.stringify(ewsWith(`https://mail.contoso.com/EWS/Exchange.asmx?password=${SECRET}`)), 'check-config'); // prettier-ignore
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.code).toBe(2);
    expect(problemLines(r.stderr)).toEqual([expect.stringMatching(/^ {2}delivery\.ews\.url: must not carry a credential \(it holds the query parameter "password"\)/)]); // prettier-ignore
  });

  it('the same through an environment override, with the variable named', async () => {
    const file = join(dir, 'env-url.json');
    await writeFile(file, JSON.stringify(ewsWith('https://mail.contoso.com/EWS/Exchange.asmx')));
    const env = { ...process.env, IMSPOOLER__DELIVERY__EWS__URL: `https://mail.contoso.com/EWS/Exchange.asmx?access_token=${SECRET}` }; // prettier-ignore
    const r = await runCli(['check-config', '--config', file], env);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stderr).toMatch(/delivery\.ews\.url: must not carry a credential \(it holds the query parameter "access_token"\).*\(set by IMSPOOLER__DELIVERY__EWS__URL\)/); // prettier-ignore
  });

  const shapes = [
    ['delivery.ews.url', (s: string) => ewsWith(`https://mail.contoso.com/EWS/Exchange.asmx?a=1&client_secret=${s}`)],
    ['delivery.ews.url', (s: string) => ewsWith(`https://mail.contoso.com/EWS/Exchange.asmx?sig=${s}`)],
    ['delivery.ews.url', (s: string) => ewsWith(`https://al:${s}@mail.contoso.com/EWS/Exchange.asmx`)],
    ['delivery.ews.url', (s: string) => ewsWith(`https://al:p@${s}@mail.contoso.com/EWS/Exchange.asmx`)],
    ['delivery.ews.url', (s: string) => ewsWith(`ftp://al:${s}@mail.contoso.com/`)],
    ['delivery.graph.url', (s: string) => graphWith({ url: `https://graph.example.com/v1.0?api_key=${s}` })],
    ['delivery.graph.authority', (s: string) => graphWith({ authority: `https://login.example.com/?token=${s}` })],
    ['delivery.graph.authority', (s: string) => graphWith({ authority: `https://u:${s}@login.example.com:99999` })],
  ] as const; // prettier-ignore

  it.each(shapes)('%s: refused by name, the secret in no message (pure)', (key, config) => {
    const result = parseConfig(config(SECRET), { baseDir });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.key)).toContain(key);
    expect(JSON.stringify(result.problems)).not.toContain(SECRET);
  });

  it('a URL given where another type belongs is shown masked', () => {
    const result = parseConfig(
      { spool: { paths: ['./spool'] }, delivery: { transport: 'sandbox', ews: `https://u:${SECRET}@x/?password=${SECRET}` } }, // prettier-ignore
      { baseDir },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([{ key: 'delivery.ews', message: expect.stringContaining('"https://***@x/?password=***"') as string }]); // prettier-ignore
  });

  it('ordinary URLs pass and keep their query', () => {
    const result = parseConfig(ewsWith('https://mail.contoso.com/EWS/Exchange.asmx?x=1'), { baseDir }); // prettier-ignore
    expect(result.ok && result.config.delivery.ews.url).toBe('https://mail.contoso.com/EWS/Exchange.asmx?x=1'); // prettier-ignore
  });

  it('the logger masks URL credentials in any line, keeping addresses in paths readable', () => {
    const redact = makeRedactor(() => []);
    expect(
      redact(`GET https://u:${SECRET}@h/users/alice@contoso.com/x?sig=${SECRET}&a=1 failed`),
    ).toBe('GET https://***@h/users/alice@contoso.com/x?sig=***&a=1 failed');
  });
});

describe('issue 10.11: spool.paths and stateDir may not overlap', () => {
  const withPaths = (paths: unknown, stateDir = './state'): object => ({
    spool: { paths },
    stateDir,
    delivery: { transport: 'sandbox' },
  });

  it.each([
    ['equal', ['./state'], 'is the same folder as stateDir'],
    ['inside', ['./state/spool'], 'is inside stateDir'],
    ['around', ['.'], 'contains stateDir'],
    ['equal after resolving', ['./x/../state/'], 'is the same folder as stateDir'],
  ])('a spool folder %s: check-config exits 2 naming both keys', async (_how, paths, words) => {
    const r = await cli(JSON.stringify(withPaths(paths)), 'check-config');
    expect(r.code).toBe(2);
    expect(problemLines(r.stderr)).toEqual([expect.stringContaining(`  spool.paths[0]: `)]);
    expect(r.stderr).toContain(words);
    expect(r.stderr).toMatch(/Keep spool\.paths and stateDir apart/);
  });

  it('run refuses it too, before it takes anything (the spool file stays)', async () => {
    const sub = await mkdtemp(join(dir, 'run-'));
    await writeFile(join(sub, 'x.json'), '{}');
    const r = await cli(JSON.stringify(withPaths([sub], join(sub, 'state'))), 'run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/spool\.paths\[0\]: .* contains stateDir/);
    expect(existsSync(join(sub, 'x.json'))).toBe(true);
  });

  it('apart folders, and "auto", are fine; the key names the entry as written', () => {
    expect(parseConfig(withPaths(['./spool', 'auto', './state-2']), { baseDir }).ok).toBe(true);
    const r = parseConfig(withPaths(['./a', './state/b']), { baseDir });
    expect(!r.ok && r.problems.map((p) => p.key)).toEqual(['spool.paths[1]']);
    const one = parseConfig(withPaths('./state'), { baseDir });
    expect(!one.ok && one.problems.map((p) => p.key)).toEqual(['spool.paths']);
  });

  it('Windows: compared without regard to case, and across separators (path.win32)', () => {
    const win = { pathApi: path.win32, caseInsensitive: true };
    expect(overlapOf('C:\\Users\\Al\\STATE\\Spool', 'c:\\users\\al\\state', win)).toBe('inside');
    expect(overlapOf('c:/users/al/state/', 'C:\\Users\\Al\\State', win)).toBe('same');
    expect(overlapOf('C:\\Users\\Al', 'C:\\Users\\Al\\State', win)).toBe('contains');
    expect(overlapOf('C:\\Users\\Al\\State2', 'C:\\Users\\Al\\State', win)).toBeUndefined();
    expect(overlapOf('D:\\State', 'C:\\State', win)).toBeUndefined();
    // The same names on Linux are different folders.
    expect(overlapOf('/srv/STATE/spool', '/srv/state', { pathApi: path.posix, caseInsensitive: false })).toBeUndefined(); // prettier-ignore
  });
});
