import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { openTransport } from '../../src/delivery/open/open-transport.js';
import type { SendRequest } from '../../src/delivery/transport.js';
import type { SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { sandbox, tempDir } from './support.js';

const open: SandboxHandle[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

const raw = (ews: Record<string, unknown>, stateDir = '/tmp/x') => ({
  stateDir,
  delivery: { transport: 'ews', ews: { auth: { type: 'ntlm', username: 'alice', domain: 'CONTOSO', passwordEnv: 'PW' }, ...ews } }, // prettier-ignore
});

describe('delivery.ews.url "autodiscover"', () => {
  it('is accepted, with an optional delivery.ews.autodiscoverEmail', () => {
    const r = parseConfig(raw({ url: 'autodiscover', autodiscoverEmail: 'alice@contoso.com' }), { baseDir: '/tmp' }); // prettier-ignore
    expect(r.ok && r.config.delivery.ews).toMatchObject({ url: 'autodiscover', autodiscoverEmail: 'alice@contoso.com' }); // prettier-ignore
    const bad = parseConfig(raw({ url: 'autodiscover', autodiscoverEmail: 'alice' }), { baseDir: '/tmp' }); // prettier-ignore
    expect(!bad.ok && bad.problems.map((p) => p.key)).toEqual(['delivery.ews.autodiscoverEmail']);
    const other = parseConfig(raw({ url: 'autodiscovery' }), { baseDir: '/tmp' });
    expect(!other.ok && other.problems[0]?.message).toMatch(/or "autodiscover"/);
  });

  it('openTransport discovers the URL with NTLM, delivers, and writes the cache', async () => {
    const account = { username: 'alice', domain: 'CONTOSO', password: 'pw & more' };
    const s = await sandbox({ auth: { ntlm: account }, autodiscover: { mailboxes: { 'alice@contoso.com': {} } } }, open); // prettier-ignore
    const stateDir = await tempDir('adcfg');
    const r = parseConfig(raw({ url: 'autodiscover' }, stateDir), { baseDir: stateDir });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const env = { PW: account.password, IMSPOOLER_TEST_AUTODISCOVER_ORIGIN: s.origin };
    const opened = await openTransport(r.config, env);
    const req: SendRequest = { itemId: 'ef'.padEnd(16, '0'), group: 'org', itemClass: 'IPM.Note.Microsoft.Missed', from: 'alice@contoso.com', to: ['bob@contoso.com'], cc: [], subject: 's', html: '<p>x</p>', headerValue: 'ef/org' }; // prettier-ignore
    try {
      await opened.transport.send(req);
      expect(await opened.transport.findSent('ef/org')).toBe(true);
    } finally {
      await opened.close();
    }
    const cache = await fsp.readFile(path.join(stateDir, 'autodiscover.json'), 'utf8');
    expect(JSON.parse(cache)).toMatchObject({ entries: { 'contoso.com': { ewsUrl: s.url } } });
    expect(cache).not.toContain(account.password);
    expect((await fsp.readdir(s.dir)).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
  });
});
