import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config-types.js';
import { parseConfig } from '../../src/config/parse-config.js';
import type { ConfigProblem } from '../../src/errors/errors.js';

const baseDir = resolve('/srv/imspooler/config');

const ews = {
  transport: 'ews',
  ews: {
    url: 'https://mail.contoso.com/EWS/Exchange.asmx',
    auth: { type: 'basic', username: 'CONTOSO\\alice', passwordEnv: 'IMSPOOLER_EWS_PASSWORD' },
  },
};

function valid(raw: unknown): Config {
  const result = parseConfig(raw, { baseDir });
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.key}: ${p.message}`).join('\n'));
  return result.config;
}

function problems(raw: unknown): ConfigProblem[] {
  const result = parseConfig(raw, { baseDir });
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

const keys = (list: ConfigProblem[]): string[] => list.map((p) => p.key);

describe('parseConfig defaults', () => {
  it('fills in every default for a minimal EWS config', () => {
    const config = valid({ delivery: ews });
    expect(config.spool).toEqual({
      paths: ['auto'],
      grace: 120_000,
      rescan: 60_000,
      maxBytes: 10 * 1024 * 1024,
      watcher: 'chokidar',
    });
    expect(config.stateDir).toBe(join(baseDir, 'var'));
    expect(config.delivery).toMatchObject({
      transport: 'ews',
      concurrency: 2,
      shutdownTimeout: 10_000,
    });
    expect(config.delivery.ews).toMatchObject({
      url: 'https://mail.contoso.com/EWS/Exchange.asmx',
      timeout: 30_000,
      version: 'Exchange2013',
      rejectUnauthorized: true,
    });
    expect(config.delivery.sandbox.mailbox).toBe(join(baseDir, 'var', 'sandbox-mailbox'));
    expect(config.organization.domains).toEqual([]);
    expect(config.retry).toEqual({
      minDelay: 30_000,
      maxDelay: 3_600_000,
      maxAge: 259_200_000,
      quickRetries: 2,
    });
    expect(config.log).toEqual({
      level: 'info',
      file: join(baseDir, 'var', 'log', 'imspooler.log'),
      console: 'pretty',
      addresses: true,
    });
    expect(config.policy).toEqual({ offlineIm: true, imAutoArchiving: true });
    expect(config.metrics).toEqual({
      listen: null,
      degradedAfter: { ewsFailing: 600_000, oldestItem: 3_600_000, diskFreeBelow: 0.05 },
    });
  });

  it('log.addresses turns the addresses in item lines off, and takes only true or false', () => {
    expect(valid({ delivery: ews, log: { addresses: false } }).log.addresses).toBe(false);
    const r = parseConfig({ delivery: ews, log: { addresses: 'no' } }, { baseDir });
    expect(r.ok ? [] : r.problems.map((p) => p.key)).toEqual(['log.addresses']);
  });

  it('refuses a metrics listener that is not on loopback, and bad rotation settings', () => {
    const r = parseConfig(
      {
        delivery: ews,
        metrics: { listen: '0.0.0.0:9464' },
        log: { maxSize: 'huge', maxFiles: -1 },
      },
      { baseDir },
    );
    expect(r.ok).toBe(false);
    const keys = r.ok ? [] : r.problems.map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining(['metrics.listen', 'log.maxSize', 'log.maxFiles']));
  });

  it('accepts the contract example as written', () => {
    const config = valid({
      spool: { paths: ['auto'], grace: '2m', rescan: '60s' },
      stateDir: './var',
      delivery: { ...ews, concurrency: 2, ews: { ...ews.ews, timeout: '30s' } },
      organization: { domains: ['contoso.com'] },
      retry: { minDelay: '30s', maxDelay: '1h', maxAge: '72h' },
      log: { level: 'info', file: './var/log/imspooler.log' },
    });
    expect(config.delivery.ews.auth).toEqual({
      type: 'basic',
      username: 'CONTOSO\\alice',
      passwordEnv: 'IMSPOOLER_EWS_PASSWORD',
    });
    expect(config.log.file).toBe(join(baseDir, 'var', 'log', 'imspooler.log'));
  });

  it('puts the sandbox mailbox and log file under a custom stateDir', () => {
    const config = valid({ stateDir: '/data/ims', delivery: { transport: 'sandbox' } });
    expect(config.delivery.sandbox.mailbox).toBe(resolve('/data/ims/sandbox-mailbox'));
    expect(config.log.file).toBe(resolve('/data/ims/log/imspooler.log'));
  });

  it('needs no ews block for the sandbox transport', () => {
    expect(valid({ delivery: { transport: 'sandbox' } }).delivery.transport).toBe('sandbox');
  });

  it('lets log.file be null for stdout only', () => {
    expect(valid({ delivery: ews, log: { file: null } }).log.file).toBeNull();
  });

  it('records the config file it came from', () => {
    const result = parseConfig({ delivery: ews }, { baseDir, configFile: join(baseDir, 'x.json') });
    expect(result.ok && result.config.configFile).toBe(join(baseDir, 'x.json'));
  });
});

describe('parseConfig values', () => {
  it('resolves relative paths against the config folder and keeps "auto"', () => {
    const config = valid({
      spool: { paths: ['auto', '../spool', '/abs/spool', '../spool'] },
      stateDir: 'state',
      delivery: { ...ews, sandbox: { mailbox: 'mail' } },
      log: { file: 'logs/x.log' },
    });
    expect(config.spool.paths).toEqual([
      'auto',
      resolve(baseDir, '../spool'),
      resolve('/abs/spool'),
    ]);
    expect(config.stateDir).toBe(join(baseDir, 'state'));
    expect(config.delivery.sandbox.mailbox).toBe(join(baseDir, 'mail'));
    expect(config.log.file).toBe(join(baseDir, 'logs', 'x.log'));
  });

  it('converts durations and sizes', () => {
    const config = valid({
      spool: { grace: 1.5, rescan: '500ms', maxBytes: '1MiB' },
      delivery: { ...ews, shutdownTimeout: '1m', ews: { ...ews.ews, timeout: 5 } },
      retry: { minDelay: '1s', maxDelay: '1d', maxAge: '7d', quickRetries: 0 },
    });
    expect(config.spool).toMatchObject({ grace: 1500, rescan: 500, maxBytes: 1_048_576 });
    expect(config.delivery.shutdownTimeout).toBe(60_000);
    expect(config.delivery.ews.timeout).toBe(5000);
    expect(config.retry).toEqual({
      minDelay: 1000,
      maxDelay: 86_400_000,
      maxAge: 604_800_000,
      quickRetries: 0,
    });
  });

  it('lowercases and de-duplicates organization domains', () => {
    expect(
      valid({
        delivery: ews,
        organization: { domains: ['Contoso.COM', 'contoso.com', 'EU.Fabrikam.com.'] },
      }).organization.domains,
    ).toEqual(['contoso.com', 'eu.fabrikam.com']);
  });

  it('accepts ntlm with a domain and oauth with tokenEnv or tokenCommand', () => {
    const withAuth = (auth: object) =>
      valid({ delivery: { ...ews, ews: { ...ews.ews, auth } } }).delivery.ews.auth;
    expect(
      withAuth({ type: 'ntlm', username: 'alice', passwordEnv: 'PW', domain: 'CONTOSO' }),
    ).toEqual({
      type: 'ntlm',
      username: 'alice',
      passwordEnv: 'PW',
      domain: 'CONTOSO',
    });
    expect(withAuth({ type: 'oauth', tokenEnv: 'TOKEN' })).toEqual({
      type: 'oauth',
      tokenEnv: 'TOKEN',
    });
    expect(withAuth({ type: 'oauth', tokenCommand: 'get-token --raw' })).toEqual({
      type: 'oauth',
      tokenCommand: 'get-token --raw',
    });
  });
});

describe('parseConfig problems', () => {
  it('reports every problem at once, each naming the key, the value and what is allowed', () => {
    const found = problems({
      spool: { paths: [], grace: 'soon', maxBytes: -5 },
      delivery: {
        transport: 'ews',
        concurrency: 0,
        ews: { url: 'ftp://mail', timeout: '1w', version: 'Exchange2007' },
      },
      organization: { domains: 'contoso.com' },
      retry: { quickRetries: 1.5 },
      log: { level: 'verbose' },
    });
    expect(found).toContainEqual({
      key: 'delivery.concurrency',
      message: '0 is not allowed; expected an integer from 1 to 64',
    });
    expect(keys(found)).toEqual([
      'spool.paths',
      'spool.grace',
      'spool.maxBytes',
      'delivery.concurrency',
      'delivery.ews.url',
      'delivery.ews.auth',
      'delivery.ews.timeout',
      'delivery.ews.version',
      'organization.domains',
      'retry.quickRetries',
      'log.level',
    ]);
    const byKey = new Map(found.map((p) => [p.key, p.message]));
    expect(byKey.get('spool.grace')).toMatch(
      /^"soon" is not allowed; expected a duration .*"500ms"/,
    );
    expect(byKey.get('delivery.ews.url')).toMatch(
      /^"ftp:\/\/mail" is not allowed; expected an http:\/\/ or https:\/\/ URL/,
    );
    expect(byKey.get('delivery.ews.auth')).toMatch(/is required when delivery.transport is "ews"/);
    expect(byKey.get('delivery.ews.version')).toContain(
      '"Exchange2013", "Exchange2013_SP1", "Exchange2016"',
    );
    expect(byKey.get('log.level')).toBe(
      '"verbose" is not allowed; expected one of "error", "warn", "info", "debug"',
    );
  });

  it('rejects unknown keys, suggesting the one meant', () => {
    const found = problems({
      spool: { grce: '2m' },
      statedir: './var',
      delivery: { ...ews, concurency: 4 },
      colour: 'blue',
    });
    const byKey = new Map(found.map((p) => [p.key, p.message]));
    expect(byKey.get('spool.grce')).toMatch(/^unknown key; did you mean "spool.grace"\?/);
    expect(byKey.get('statedir')).toMatch(/did you mean "stateDir"\?/);
    expect(byKey.get('delivery.concurency')).toMatch(/did you mean "delivery.concurrency"\?/);
    expect(byKey.get('colour')).toMatch(
      /^unknown key; allowed here: spool, stateDir, delivery, organization, retry, history, log, metrics, policy$/,
    );
  });

  it('requires url and auth for ews only', () => {
    expect(keys(problems({ delivery: { transport: 'ews' } }))).toEqual([
      'delivery.ews.url',
      'delivery.ews.auth',
    ]);
    expect(keys(problems({}))).toEqual(['delivery.ews.url', 'delivery.ews.auth']);
  });

  it('requires url and auth for auto too, and says so', () => {
    const found = problems({ delivery: { transport: 'auto' } }).filter((p) =>
      p.key.startsWith('delivery.ews.'),
    );
    expect(keys(found)).toEqual(['delivery.ews.url', 'delivery.ews.auth']);
    for (const p of found) {
      expect(p.message).toContain('is required when delivery.transport is "ews" or "auto"');
    }
  });

  it('refuses a password in the config and explains passwordEnv, without echoing it', () => {
    const found = problems({
      delivery: {
        ...ews,
        ews: {
          ...ews.ews,
          auth: { type: 'basic', username: 'alice', password: 'hunter2', passwordEnv: 'PW' },
        },
      },
    });
    expect(found).toHaveLength(1);
    expect(found[0]?.key).toBe('delivery.ews.auth.password');
    expect(found[0]?.message).toContain('passwordEnv');
    expect(JSON.stringify(found)).not.toContain('hunter2');
  });

  it('does not echo a passwordEnv that looks like a password', () => {
    const found = problems({
      delivery: {
        ...ews,
        ews: { ...ews.ews, auth: { type: 'basic', username: 'a', passwordEnv: 'S3cret!pass' } },
      },
    });
    expect(found[0]?.key).toBe('delivery.ews.auth.passwordEnv');
    expect(found[0]?.message).toMatch(/NAME of an environment variable/);
    expect(JSON.stringify(found)).not.toContain('S3cret');
  });

  it('checks each auth type for its own keys', () => {
    const auth = (a: object) =>
      keys(problems({ delivery: { ...ews, ews: { ...ews.ews, auth: a } } }));
    expect(auth({ type: 'basic' })).toEqual([
      'delivery.ews.auth.username',
      'delivery.ews.auth.passwordEnv',
    ]);
    expect(auth({ type: 'oauth' })).toEqual(['delivery.ews.auth']);
    expect(auth({ type: 'oauth', tokenEnv: 'T', tokenCommand: 'x' })).toEqual([
      'delivery.ews.auth',
    ]);
    expect(auth({ type: 'basic', username: 'a', passwordEnv: 'P', tokenEnv: 'T' })).toEqual([
      'delivery.ews.auth.tokenEnv',
    ]);
    expect(auth({ type: 'kerberos' })).toEqual(['delivery.ews.auth.type']);
    expect(auth({ username: 'a' })).toEqual(['delivery.ews.auth.type']);
  });

  it('refuses credentials inside the URL without repeating them', () => {
    const found = problems({
      delivery: {
        ...ews,
        ews: { ...ews.ews, url: 'https://alice:hunter2@mail.contoso.com/EWS/Exchange.asmx' },
      },
    });
    expect(keys(found)).toEqual(['delivery.ews.url']);
    expect(JSON.stringify(found)).not.toContain('hunter2');
  });

  it('wants minDelay <= maxDelay', () => {
    const found = problems({ delivery: ews, retry: { minDelay: '2h', maxDelay: '1h' } });
    expect(found).toEqual([
      {
        key: 'retry.maxDelay',
        message:
          '"1h" is less than retry.minDelay (2h); expected a duration of at least retry.minDelay',
      },
    ]);
  });

  it('flags bad domains with a hint for common slips', () => {
    const found = problems({
      delivery: ews,
      organization: { domains: ['@contoso.com', 'not a domain', 'localhost', 42] },
    });
    expect(keys(found)).toEqual([
      'organization.domains[0]',
      'organization.domains[1]',
      'organization.domains[2]',
      'organization.domains[3]',
    ]);
    expect(found[0]?.message).toContain('did you mean "contoso.com"?');
  });

  it('flags bad sections, paths and a "~" that would not be expanded', () => {
    const found = problems({
      spool: ['x'],
      stateDir: '~/imspooler',
      delivery: { ...ews, sandbox: 'x' },
      log: { file: '' },
    });
    expect(keys(found)).toEqual(['spool', 'stateDir', 'delivery.sandbox', 'log.file']);
    expect(found[1]?.message).toContain('"~" is not expanded');
  });

  it('refuses a top level that is not an object', () => {
    expect(problems([])).toEqual([expect.objectContaining({ key: '(top level)' })]);
  });
});
