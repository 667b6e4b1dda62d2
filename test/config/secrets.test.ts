import { describe, expect, it } from 'vitest';
import { resolveSecret, splitCommandLine } from '../../src/config/secrets.js';
import { isConfigError, type ConfigError } from '../../src/errors/errors.js';

const node = JSON.stringify(process.execPath);

async function secretError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isConfigError(error)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error as ConfigError;
}

describe('resolveSecret', () => {
  it('reads a password from the variable the config names', async () => {
    const secret = await resolveSecret(
      { type: 'basic', username: 'CONTOSO\\alice', passwordEnv: 'EWS_PW' },
      { EWS_PW: 'hunter2' },
    );
    expect(secret).toEqual({ username: 'CONTOSO\\alice', password: 'hunter2' });
    expect(
      await resolveSecret(
        { type: 'ntlm', username: 'alice', passwordEnv: 'EWS_PW', domain: 'CONTOSO' },
        { EWS_PW: 'x' },
      ),
    ).toEqual({
      username: 'alice',
      password: 'x',
    });
  });

  it('names a missing or empty variable', async () => {
    for (const env of [{}, { EWS_PW: '' }]) {
      const error = await secretError(
        resolveSecret({ type: 'basic', username: 'alice', passwordEnv: 'EWS_PW' }, env),
      );
      expect(error.problems).toEqual([
        {
          key: 'delivery.ews.auth.passwordEnv',
          message:
            'environment variable EWS_PW is not set (or is empty); set it to the password of alice before starting imspooler',
        },
      ]);
    }
  });

  it('reads a token from tokenEnv', async () => {
    expect(await resolveSecret({ type: 'oauth', tokenEnv: 'TOK' }, { TOK: 'eyJ0' })).toEqual({
      token: 'eyJ0',
    });
    const error = await secretError(resolveSecret({ type: 'oauth', tokenEnv: 'TOK' }, {}));
    expect(error.problems[0]?.key).toBe('delivery.ews.auth.tokenEnv');
    expect(error.message).toContain('TOK');
  });

  it('runs tokenCommand without a shell and trims its output', async () => {
    const secret = await resolveSecret(
      { type: 'oauth', tokenCommand: `${node} -e "console.log('  tok-123  ')"` },
      process.env,
    );
    expect(secret).toEqual({ token: 'tok-123' });
  });

  it('passes the environment to tokenCommand', async () => {
    const secret = await resolveSecret(
      { type: 'oauth', tokenCommand: `${node} -e "process.stdout.write(process.env.TENANT)"` },
      { ...process.env, TENANT: 'contoso' },
    );
    expect(secret).toEqual({ token: 'contoso' });
  });

  it('does not interpret shell syntax in tokenCommand', async () => {
    const secret = await resolveSecret(
      { type: 'oauth', tokenCommand: `${node} -e "console.log(process.argv[1])" "$(whoami);rm"` },
      process.env,
    );
    expect(secret).toEqual({ token: '$(whoami);rm' });
  });

  it('reports a failing command without repeating its output', async () => {
    const error = await secretError(
      resolveSecret(
        {
          type: 'oauth',
          tokenCommand: `${node} -e "console.log('secret-part'); console.error('more-secret'); process.exit(3)"`,
        },
        process.env,
      ),
    );
    expect(error.problems[0]?.key).toBe('delivery.ews.auth.tokenCommand');
    expect(error.message).toContain('exited with code 3');
    expect(JSON.stringify(error.problems)).not.toMatch(/secret-part|more-secret/);
    expect(JSON.stringify(error.cause)).not.toMatch(/secret-part|more-secret/);
  });

  it('reports a command that prints nothing, or cannot be found', async () => {
    const empty = await secretError(
      resolveSecret({ type: 'oauth', tokenCommand: `${node} -e ""` }, process.env),
    );
    expect(empty.message).toContain('printed nothing');
    const missing = await secretError(
      resolveSecret({ type: 'oauth', tokenCommand: 'no-such-program-imspooler --x' }, process.env),
    );
    expect(missing.message).toContain('"no-such-program-imspooler" could not be started');
  });

  it('stops a command that takes too long, via the injected runner', async () => {
    const runner = () =>
      Promise.reject(
        Object.assign(new Error('timed out'), { killed: true, signal: 'SIGTERM', code: null }),
      );
    const error = await secretError(
      resolveSecret({ type: 'oauth', tokenCommand: 'slow' }, {}, runner),
    );
    expect(error.message).toContain('did not finish within 10 s');
  });

  it('gives the runner the program, its arguments and a 10 s limit', async () => {
    const calls: unknown[] = [];
    await resolveSecret(
      { type: 'oauth', tokenCommand: 'az account get-access-token --query "access token"' },
      { A: '1' },
      (file, args, opts) => {
        calls.push({ file, args, opts });
        return Promise.resolve('t\n');
      },
    );
    expect(calls).toEqual([
      {
        file: 'az',
        args: ['account', 'get-access-token', '--query', 'access token'],
        opts: { timeoutMs: 10_000, env: { A: '1' } },
      },
    ]);
  });
});

describe('splitCommandLine', () => {
  it.each([
    ['get-token', ['get-token']],
    ['  a  b\tc ', ['a', 'b', 'c']],
    ['"C:\\Program Files\\tok.exe" --raw', ['C:\\Program Files\\tok.exe', '--raw']],
    ['a \'b c\' d"e f"', ['a', 'b c', 'de f']],
    ['a ""', ['a', '']],
    ['', []],
  ])('%j', (line, argv) => {
    expect(splitCommandLine(line)).toEqual(argv);
  });

  it('refuses an unclosed quote', () => {
    expect(() => splitCommandLine('a "b')).toThrow(/unclosed " quote/);
  });
});
