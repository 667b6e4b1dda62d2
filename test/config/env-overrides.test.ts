import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, envVarFor } from '../../src/config/env-overrides.js';

describe('applyEnvOverrides', () => {
  it('maps UPPER_SNAKE segments back to camelCase keys', () => {
    const { value, problems, applied } = applyEnvOverrides(
      { delivery: { transport: 'sandbox' } },
      {
        IMSPOOLER__DELIVERY__EWS__URL: 'https://mail.contoso.com/EWS/Exchange.asmx',
        IMSPOOLER__STATE_DIR: '/data/ims',
        IMSPOOLER__SPOOL__MAX_BYTES: '5MiB',
        IMSPOOLER__DELIVERY__EWS__AUTH__PASSWORD_ENV: 'MY_PW',
      },
    );
    expect(problems).toEqual([]);
    expect(value).toEqual({
      stateDir: '/data/ims',
      spool: { maxBytes: '5MiB' },
      delivery: {
        transport: 'sandbox',
        ews: { url: 'https://mail.contoso.com/EWS/Exchange.asmx', auth: { passwordEnv: 'MY_PW' } },
      },
    });
    expect(applied).toContainEqual({ variable: 'IMSPOOLER__STATE_DIR', key: 'stateDir' });
  });

  it('parses values as JSON where they parse, else keeps the string', () => {
    const { value } = applyEnvOverrides(
      {},
      {
        IMSPOOLER__DELIVERY__CONCURRENCY: '4',
        IMSPOOLER__DELIVERY__EWS__REJECT_UNAUTHORIZED: 'false',
        IMSPOOLER__LOG__FILE: 'null',
        IMSPOOLER__SPOOL__PATHS: '["auto", "D:\\\\spool"]',
        IMSPOOLER__SPOOL__GRACE: '2m',
        IMSPOOLER__LOG__LEVEL: '"debug"',
      },
    );
    expect(value).toEqual({
      delivery: { concurrency: 4, ews: { rejectUnauthorized: false } },
      log: { file: null, level: 'debug' },
      spool: { paths: ['auto', 'D:\\spool'], grace: '2m' },
    });
  });

  it('does not change its input', () => {
    const raw = { spool: { grace: '2m' } };
    applyEnvOverrides(raw, { IMSPOOLER__SPOOL__GRACE: '5s' });
    expect(raw).toEqual({ spool: { grace: '2m' } });
  });

  it('replaces a whole object, then applies deeper overrides on top of it', () => {
    const { value } = applyEnvOverrides(
      { delivery: { ews: { auth: { type: 'basic', username: 'old', passwordEnv: 'PW' } } } },
      {
        IMSPOOLER__DELIVERY__EWS__AUTH__TOKEN_ENV: 'TOK',
        IMSPOOLER__DELIVERY__EWS__AUTH: '{"type":"oauth"}',
      },
    );
    expect(value).toEqual({ delivery: { ews: { auth: { type: 'oauth', tokenEnv: 'TOK' } } } });
  });

  it('names the variable when it points at no key, with a suggestion', () => {
    const { problems, value } = applyEnvOverrides(
      {},
      {
        IMSPOOLER__SPOOL__GRCE: '5s',
        IMSPOOLER__STATEDIR: '/x',
        IMSPOOLER__NOPE: '1',
        IMSPOOLER__STATE_DIR__X: '1',
      },
    );
    expect(value).toEqual({});
    const byKey = new Map(problems.map((p) => [p.key, p.message]));
    expect(byKey.get('IMSPOOLER__SPOOL__GRCE')).toMatch(
      /names no config key.*did you mean IMSPOOLER__SPOOL__GRACE\?/,
    );
    expect(byKey.get('IMSPOOLER__STATEDIR')).toMatch(/did you mean IMSPOOLER__STATE_DIR\?/);
    expect(byKey.get('IMSPOOLER__NOPE')).toMatch(/names no config key/);
    expect(byKey.get('IMSPOOLER__STATE_DIR__X')).toMatch(/"stateDir" has no keys below it/);
  });

  it('explains that secrets are not overrides, without repeating the value', () => {
    const { problems } = applyEnvOverrides(
      {},
      { IMSPOOLER__DELIVERY__EWS__AUTH__PASSWORD: 'hunter2' },
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('passwordEnv');
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });

  it('ignores IMSPOOLER_CONFIG and other variables', () => {
    const result = applyEnvOverrides(
      {},
      {
        IMSPOOLER_CONFIG: '/etc/ims.json',
        IMSPOOLER_EWS_PASSWORD: 'x',
        PATH: '/bin',
        HOME: undefined,
      },
    );
    expect(result).toEqual({ value: {}, problems: [], applied: [] });
  });

  it('matches names case-insensitively, as Windows does', () => {
    expect(applyEnvOverrides({}, { imspooler__state_dir: 'v' }).value).toEqual({ stateDir: 'v' });
  });

  it('spells the variable for a key', () => {
    expect(envVarFor('delivery.ews.url')).toBe('IMSPOOLER__DELIVERY__EWS__URL');
    expect(envVarFor('stateDir')).toBe('IMSPOOLER__STATE_DIR');
    expect(envVarFor('delivery.ews.rejectUnauthorized')).toBe(
      'IMSPOOLER__DELIVERY__EWS__REJECT_UNAUTHORIZED',
    );
  });
});
