import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeEwsTransport } from '../../src/delivery/ews-transport.js';
import type { SendRequest } from '../../src/delivery/transport.js';
import { makeEventLog } from '../../src/log/logger.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { jsonItem, makeWorld, waitUntil, type LogLine, type World } from '../e2e/harness.js';
import { isAction, startDaemon, stopDaemon } from './helpers.js';

/**
 * Security (issue 4, part 5): secrets never in logs, errors or command output, also when things
 * fail; TLS verified unless switched off (and then a warning at every start); CLI IDs cannot name
 * files outside the queue; input cannot forge log lines; state and logs are private to the user.
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every log file in a folder (the file transport rotates: names carry the date). */
async function readLogs(dir: string): Promise<string> {
  const names = (await fsp.readdir(dir)).filter((n) => n.endsWith('.log')).sort();
  expect(names.length).toBeGreaterThan(0);
  return (await Promise.all(names.map((n) => fsp.readFile(join(dir, n), 'utf8')))).join('');
}

const request: SendRequest = {
  itemId: 'a'.repeat(64),
  group: 'org',
  itemClass: 'IPM.Note.Microsoft.Missed',
  from: 'alice@contoso.com',
  to: ['bob@contoso.com'],
  cc: [],
  subject: 'hello',
  html: '<p>hi</p>',
  headerValue: `${'a'.repeat(64)}/org`,
};

describe('secrets', () => {
  it('never appear in log lines, stderr, the log file or command output, also when the server refuses them', async () => {
    world = await makeWorld({}, { http401: true });
    const password = world.env.IMSPOOLER_EWS_PASSWORD!;
    const forbidden = [password, b64(`CONTOSO\\alice:${password}`), b64(password)];
    const d = await startDaemon(world);
    await world.drop('s.json', jsonItem(500, ['bob@contoso.com']));
    await d.waitForLine(isAction('delivery.deferred'), 'a 401 deferral');
    const statusJson = await world.cli('status', '--json');
    const id = (JSON.parse(statusJson.stdout) as { items: { id: string }[] }).items[0]!.id;
    const show = await world.cli('show', id, '--json');
    world.sandbox.faults.set({ http401: true });
    const probe = await world.cli('check-config', '--probe');
    expect(probe.code).not.toBe(0);
    world.sandbox.faults.clear();
    await world.cli('retry', id);
    await d.waitForLine(isAction('delivery.succeeded'), 'delivery');
    expect(await stopDaemon(d)).toBe(0);
    const logFile = await readLogs(join(world.stateDir, 'log'));
    const everything = [
      JSON.stringify(d.lines),
      d.stderr(),
      logFile,
      statusJson.stdout,
      show.stdout,
      show.stderr,
      probe.stdout,
      probe.stderr,
    ].join('\n');
    expect(everything).toContain('Http401'); // the failure path was really taken
    for (const s of forbidden) expect(everything).not.toContain(s);
  }, 60_000);

  it('an OAuth token never appears in log lines, even when the server rejects it', async () => {
    const token = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.c2VjcmV0LXRva2VuLXZhbHVl.sig';
    world = await makeWorld();
    const config = JSON.parse(await fsp.readFile(world.configPath, 'utf8')) as {
      delivery: { ews: { auth: unknown } };
    };
    config.delivery.ews.auth = { type: 'oauth', tokenEnv: 'REL_TOKEN' };
    await fsp.writeFile(world.configPath, JSON.stringify(config));
    const d = await startDaemon(world, { REL_TOKEN: token });
    await world.drop('t.json', jsonItem(501, ['bob@contoso.com']));
    const line = await d.waitForLine(isAction('delivery.deferred'), 'a deferral');
    expect(line.error?.code).toBe('Http401');
    expect(await stopDaemon(d)).toBe(0);
    const logFile = await readLogs(join(world.stateDir, 'log'));
    for (const text of [JSON.stringify(d.lines), d.stderr(), logFile]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain('c2VjcmV0LXRva2VuLXZhbHVl');
    }
  });

  it('errors from a server that echoes the Authorization header do not carry it', async () => {
    const password = 'echo-Secret-Pa55word';
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res
          .writeHead(500, { 'Content-Type': 'text/plain' })
          .end(`bad request: Authorization: ${req.headers.authorization}`),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/EWS/Exchange.asmx`;
    const t = makeEwsTransport({
      url,
      version: 'Exchange2013',
      timeoutMs: 3000,
      credentials: { kind: 'basic', username: 'CONTOSO\\alice', password },
      rejectUnauthorized: true,
    });
    const err = (await t.send(request).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { code?: string };
    await t.close();
    server.close();
    expect(err).toBeInstanceOf(Error);
    // At once, as an HTTP 500 (the library used to hang on a non-SOAP body until the timeout).
    expect(err.code).toBe('Http500');
    const text = `${String(err)} ${err.message} ${JSON.stringify(err)} ${err.stack ?? ''}`;
    expect(text).not.toContain(password);
    expect(text).not.toContain(b64(`CONTOSO\\alice:${password}`));
  });

  it('the logger masks known secrets and anything shaped like an Authorization header or bearer token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imspooler-rel-log-'));
    try {
      const file = join(dir, 'log', 'x.log');
      const log = makeEventLog({
        level: 'info',
        file,
        stdout: false,
        secrets: () => ['hunter2-known-secret'],
      });
      log.diag('error', 'connect failed with hunter2-known-secret', {
        header: 'Authorization: Basic QUxJQ0U6cGFzcw==',
      });
      log.event('delivery.deferred', 'failure', 'server said Bearer abc.def.ghi', {
        error: { code: 'Http401', message: 'authorization=NTLM TlRMTVNTUAAB' },
      });
      await log.close();
      const text = await readLogs(join(dir, 'log'));
      for (const s of ['hunter2-known-secret', 'QUxJQ0U6cGFzcw==', 'abc.def.ghi', 'TlRMTVNTUAAB']) {
        expect(text).not.toContain(s);
      }
      expect(text.match(/REDACTED/g)?.length).toBeGreaterThanOrEqual(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('TLS', () => {
  let dir: string;
  let sandbox: SandboxHandle;
  let proxy: https.Server;
  let url: string;

  beforeAll(async () => {
    if (!hasOpenssl) return;
    dir = mkdtempSync(join(tmpdir(), 'imspooler-rel-tls-'));
    // A self-signed certificate made now, for 127.0.0.1: valid, but signed by nobody we trust.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' }); // prettier-ignore
    sandbox = await startSandbox({ port: 0, mailboxDir: join(dir, 'mailbox') });
    // HTTPS in front of the sandbox (which speaks plain HTTP).
    proxy = https.createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => {
        const up = http.request(
          {
            host: '127.0.0.1',
            port: sandbox.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.on('error', () => res.destroy());
        req.pipe(up);
      },
    );
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}/EWS/Exchange.asmx`;
  });
  afterAll(async () => {
    if (!hasOpenssl) return;
    proxy.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const transport = (rejectUnauthorized: boolean) =>
    makeEwsTransport({
      url,
      version: 'Exchange2013',
      timeoutMs: 3000,
      credentials: { kind: 'basic', username: 'u', password: 'p-Secret-1' },
      rejectUnauthorized,
    });

  it.skipIf(!hasOpenssl)(
    'verifies the server certificate by default: a self-signed one is refused',
    async () => {
      const t = transport(true);
      await expect(t.send(request)).rejects.toMatchObject({ code: 'TlsError' });
      await t.close();
      expect(sandbox.stats.createItem).toBe(0);
    },
  );

  it.skipIf(!hasOpenssl)('accepts it only when rejectUnauthorized is false', async () => {
    const t = transport(false);
    await t.send(request);
    await t.close();
    expect(sandbox.stats.createItem).toBe(1);
  });

  // Issue 10.16: the warning is logged after daemon.started, so waiting for daemon.started and
  // counting at once failed on a busy machine (1 run in 3). The test waits for the warning itself,
  // and counts only once the daemon has exited and every line it wrote has been read.
  it.skipIf(!hasOpenssl)(
    'issue 10.16: the daemon warns at every start while verification is off',
    async () => {
      world = await makeWorld({ delivery: { ews: { url, rejectUnauthorized: false } } });
      const isTlsWarning = (l: LogLine) => /TLS certificate verification is OFF/.test(l.message);
      for (let i = 0; i < 2; i++) {
        const d = await startDaemon(world);
        await d.waitForLine(isTlsWarning, 'the TLS warning');
        expect(await stopDaemon(d)).toBe(0);
        const warn = d.lines.filter(isTlsWarning);
        expect(warn).toHaveLength(1);
        expect(warn[0]!['log.level']).toBe('warn');
      }
      // With the default, no such warning in everything the daemon wrote from start to exit.
      const w2 = await makeWorld({});
      try {
        const d = await startDaemon(w2);
        expect(await stopDaemon(d)).toBe(0);
        expect(d.actions('daemon.stopped')).toHaveLength(1);
        expect(d.lines.some((l) => /TLS certificate verification/.test(l.message))).toBe(false);
      } finally {
        await w2.close();
      }
    },
  );
});

describe('CLI IDs', () => {
  it('cannot address files outside the queue', async () => {
    world = await makeWorld();
    const outside = join(world.dir, 'x.json');
    await fsp.writeFile(outside, '{"id":"x","state":"held"}');
    await fsp.writeFile(join(world.dir, 'x'), 'keep me');
    const attempts: string[][] = [
      ['show', '../../x'],
      ['show', '../../x.json', '--json'],
      ['delete', '../../x'],
      ['hold', '../../x'],
      ['release', '/etc/passwd'],
      ['retry', '..\\..\\x'],
      ['show', 'deadbeef/../../x'],
    ];
    for (const args of attempts) {
      const r = await world.cli(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/not an item ID/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(await fsp.readFile(outside, 'utf8')).toBe('{"id":"x","state":"held"}');
    expect(await fsp.readFile(join(world.dir, 'x'), 'utf8')).toBe('keep me');
  }, 60_000);
});

describe('log lines cannot be forged', () => {
  it('by subjects or file names with newlines and control characters', async () => {
    world = await makeWorld();
    const forged =
      '{"log.level":"info","message":"forged","event":{"action":"delivery.succeeded","outcome":"success"}}';
    const d = await startDaemon(world);
    await world.drop(
      `evil\n${forged.replace(/\//g, '')}\r\u001b[2K.json`,
      jsonItem(502, ['bob@contoso.com'], { subject: `hi\n${forged}\r\n\u001b[31mred\u0000` }),
    );
    await d.waitForLine(isAction('delivery.succeeded'), 'delivery');
    expect(await stopDaemon(d)).toBe(0);
    // Every line on stdout and in the file is one JSON object; only the real success is there.
    expect(d.lines.filter((l) => l['log.level'] === 'raw')).toEqual([]);
    expect(d.lines.filter((l) => l.message === 'forged')).toEqual([]);
    expect(d.actions('delivery.succeeded')).toHaveLength(1);
    const fileLines = (await readLogs(join(world.stateDir, 'log'))).trim().split('\n');
    for (const l of fileLines) expect(() => JSON.parse(l) as unknown).not.toThrow();
    expect(fileLines.filter((l) => l.includes('"message":"forged"'))).toEqual([]);
    // The text status shows no raw control characters either.
    const s = await world.cli('status');
    const control = [...s.stdout].filter((ch) => {
      const c = ch.charCodeAt(0);
      return (c < 0x20 && ch !== '\n' && ch !== '\t') || c === 0x7f;
    });
    expect(control).toEqual([]);
  });
});

describe('file permissions', () => {
  it('the state folder, queue files and log files are readable by the user only, even with umask 000', async () => {
    const old = process.umask(0);
    try {
      world = await makeWorld({}, { http503: { count: 1 } });
      const d = await startDaemon(world);
      await world.drop('p.json', jsonItem(503, ['bob@contoso.com']));
      await world.drop('bad.json', 'not a spool item');
      await d.waitForLine(isAction('delivery.succeeded'), 'delivery');
      await d.waitForLine(isAction('item.quarantined'), 'quarantine');
      await world.cli('status');
      const loose: string[] = [];
      const walk = async (p: string): Promise<void> => {
        const st = await fsp.lstat(p);
        if ((st.mode & 0o077) !== 0) loose.push(`${(st.mode & 0o777).toString(8)} ${p}`);
        if (st.isDirectory()) for (const n of await fsp.readdir(p)) await walk(join(p, n));
      };
      await walk(world.stateDir);
      expect(loose).toEqual([]);
      expect(await stopDaemon(d)).toBe(0);
      await waitUntil(async () => (await fsp.readdir(world!.stateDir)).length > 0, 'state written');
    } finally {
      process.umask(old);
    }
  });
});
