import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { isConfigError, type ConfigError } from '../../src/errors/errors.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imspooler-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, content: unknown): Promise<string> {
  const file = join(dir, name);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

async function loadError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isConfigError(error)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error as ConfigError;
}

const sandbox = { delivery: { transport: 'sandbox' } };

describe('loadConfig', () => {
  it('loads the repository default config (the npm start demo)', async () => {
    const config = await loadConfig({ repoRoot, env: {} });
    expect(config.configFile).toBe(join(repoRoot, 'config', 'default.json'));
    expect(config.delivery.transport).toBe('sandbox');
    expect(config.spool.paths).toEqual([join(repoRoot, 'var', 'spool')]);
    expect(config.spool.grace).toBe(15_000);
    expect(config.stateDir).toBe(join(repoRoot, 'var', 'state'));
    expect(config.delivery.sandbox.mailbox).toBe(join(repoRoot, 'var', 'sandbox-mailbox'));
    expect(config.organization.domains).toEqual(['contoso.com']);
    expect(config.log.file).toBe(join(repoRoot, 'var', 'log', 'imspooler.log'));
  });

  it('prefers --config, then IMSPOOLER_CONFIG, then the default', async () => {
    const a = await writeConfig('a/a.json', { ...sandbox, stateDir: 'state-a' });
    const b = await writeConfig('b/b.json', { ...sandbox, stateDir: 'state-b' });
    expect((await loadConfig({ file: a, env: { IMSPOOLER_CONFIG: b }, repoRoot })).stateDir).toBe(
      join(dir, 'a', 'state-a'),
    );
    expect((await loadConfig({ env: { IMSPOOLER_CONFIG: b }, repoRoot })).stateDir).toBe(
      join(dir, 'b', 'state-b'),
    );
  });

  it('resolves a relative --config or IMSPOOLER_CONFIG against cwd, and paths inside against the file', async () => {
    await writeConfig('etc/ims.json', { ...sandbox, spool: { paths: ['../spool'] } });
    const viaFlag = await loadConfig({ file: 'etc/ims.json', cwd: dir, env: {}, repoRoot });
    const viaEnv = await loadConfig({
      cwd: dir,
      env: { IMSPOOLER_CONFIG: 'etc/ims.json' },
      repoRoot,
    });
    for (const config of [viaFlag, viaEnv]) {
      expect(config.configFile).toBe(join(dir, 'etc', 'ims.json'));
      expect(config.spool.paths).toEqual([join(dir, 'spool')]);
    }
  });

  it('applies IMSPOOLER__ overrides over the file', async () => {
    const file = await writeConfig('c.json', { ...sandbox, spool: { grace: '2m' } });
    const config = await loadConfig({
      file,
      env: {
        IMSPOOLER__SPOOL__GRACE: '5',
        IMSPOOLER__STATE_DIR: 'elsewhere',
        IMSPOOLER__DELIVERY__CONCURRENCY: '8',
      },
      repoRoot,
    });
    expect(config.spool.grace).toBe(5000);
    expect(config.stateDir).toBe(join(dir, 'elsewhere'));
    expect(config.delivery.concurrency).toBe(8);
  });

  it('reports every problem from the file and the environment together, naming the variable', async () => {
    const file = await writeConfig('d.json', { ...sandbox, spool: { grace: 'soon' } });
    const error = await loadError(
      loadConfig({
        file,
        env: { IMSPOOLER__DELIVERY__CONCURRENCY: '0', IMSPOOLER__LOG__LEVL: 'x' },
        repoRoot,
      }),
    );
    expect(error.problems.map((p) => p.key)).toEqual([
      'IMSPOOLER__LOG__LEVL',
      'spool.grace',
      'delivery.concurrency',
    ]);
    expect(error.problems[2]?.message).toBe(
      '0 is not allowed; expected an integer from 1 to 64 (set by IMSPOOLER__DELIVERY__CONCURRENCY)',
    );
  });

  it('names the file, line and column of a JSON syntax error', async () => {
    const file = await writeConfig(
      'bad.json',
      '{\n  "stateDir": "./var",\n  "spool": { "grace": "2m", }\n}\n',
    );
    const error = await loadError(loadConfig({ file, env: {}, repoRoot }));
    expect(error.problems).toEqual([
      { key: file, message: 'invalid JSON at line 3, column 29: trailing comma before "}"' },
    ]);
  });

  it.each([
    ['{ "a": 1 "b": 2 }', 'line 1, column 10: missing comma before this key'],
    ['{\n "stateDir": "C:\\var"\n}', 'line 2, column 17: invalid escape in a string'],
    ['{ "a": tru }', 'line 1, column 8: unexpected character "t"'],
    ['{ "a": [1, 2 }', 'line 1, column 14: unexpected character "}"'],
    ['{ "a": ', 'line 1, column 8: unexpected end of file'],
    ['', 'line 1, column 1: unexpected end of file'],
  ])('locates the syntax error in %j', async (text, where) => {
    const file = await writeConfig('bad.json', text);
    const error = await loadError(loadConfig({ file, env: {}, repoRoot }));
    expect(error.problems[0]?.message).toContain(`invalid JSON at ${where}`);
  });

  it('accepts a UTF-8 byte order mark, as Notepad writes it', async () => {
    const file = await writeConfig('bom.json', `\ufeff${JSON.stringify(sandbox)}`);
    expect((await loadConfig({ file, env: {}, repoRoot })).delivery.transport).toBe('sandbox');
  });

  it('names a missing file and where its name came from', async () => {
    const missing = join(dir, 'nope.json');
    const error = await loadError(loadConfig({ env: { IMSPOOLER_CONFIG: missing }, repoRoot }));
    expect(error.problems).toEqual([
      {
        key: missing,
        message: 'cannot read the config file (named by IMSPOOLER_CONFIG): no such file',
      },
    ]);
    expect(error.code).toBe('InvalidConfig');
  });

  it('refuses a file whose top level is not an object', async () => {
    const file = await writeConfig('arr.json', '[]');
    const error = await loadError(loadConfig({ file, env: {}, repoRoot }));
    expect(error.problems[0]?.message).toMatch(/JSON object/);
  });
});
