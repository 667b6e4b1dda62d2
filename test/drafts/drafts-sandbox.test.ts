import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { draftsCommand } from '../../src/cli/commands/drafts.js';
import type { CommandContext } from '../../src/cli/context.js';
import { makeDraftsClient } from '../../src/drafts/drafts-client.js';
import { isDeliveryError, isUsageError } from '../../src/errors/errors.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { runCli } from '../support/run-cli.js';
import { seedDrafts } from './seed.js';

let sandbox: SandboxHandle | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const SUBJECT = 'Lunch & <plans> "today"?';

async function world() {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'imsp-drafts-'));
  sandbox = await startSandbox({ mailboxDir: path.join(dir, 'mailbox'), auth: { username: 'alice', password: 'pw' } }); // prettier-ignore
  await seedDrafts(sandbox.url, [
    { itemClass: 'IPM.Note.Microsoft.Missed', subject: SUBJECT, to: ['bob@contoso.com'], from: 'alice@contoso.com' }, // prettier-ignore
    { itemClass: 'IPM.Note', subject: 'my own unfinished mail', to: ['carol@contoso.com'] },
    { itemClass: 'IPM.Note.Microsoft.Conversation', subject: 'second', to: ['dan@fabrikam.com'] },
  ]);
  const config = {
    stateDir: path.join(dir, 'state'),
    delivery: { transport: 'ews', ews: { url: sandbox.url, auth: { type: 'basic', username: 'alice', passwordEnv: 'PW' } } }, // prettier-ignore
    log: { file: path.join(dir, 'log', 'imspooler.log') },
  };
  const configFile = path.join(dir, 'config.json');
  await fsp.writeFile(configFile, JSON.stringify(config));
  const out: string[] = [];
  const ctx: CommandContext = { configFile, env: { PW: 'pw' }, cwd: dir, out: (t) => out.push(t), err: () => undefined }; // prettier-ignore
  // The log file is dated (imspooler-YYYY-MM-DD.log): read every .log in its folder.
  const logLines = async () => {
    const logDir = path.join(dir, 'log');
    const files = (await fsp.readdir(logDir).catch(() => [] as string[])).filter((f) => f.endsWith('.log')); // prettier-ignore
    const text = (await Promise.all(files.map((f) => fsp.readFile(path.join(logDir, f), 'utf8')))).join('\n'); // prettier-ignore
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  return { h: sandbox, dir, ctx, out, logLines, mailbox: path.join(dir, 'mailbox') };
}

const field = (o: Record<string, unknown>, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o) ?? o[dotted]; // prettier-ignore

describe('imspooler drafts against the sandbox over real HTTP', () => {
  it('lists only the stuck drafts, as a table and as JSON', async () => {
    const w = await world();
    expect(await draftsCommand(w.ctx, 'list', undefined, {})).toBe(0);
    const table = w.out.join('\n');
    expect(table).toContain('2 stuck drafts in the Drafts folder');
    expect(table).toContain(SUBJECT);
    expect(table).not.toContain('my own unfinished mail');
    w.out.length = 0;
    await draftsCommand(w.ctx, 'list', undefined, { json: true });
    const doc = JSON.parse(w.out.join('\n')) as { drafts: Array<Record<string, unknown>> };
    expect(doc.drafts.map((d) => d['itemClass']).sort()).toEqual(['IPM.Note.Microsoft.Conversation', 'IPM.Note.Microsoft.Missed']); // prettier-ignore
    const missed = doc.drafts.find((d) => d['subject'] === SUBJECT);
    expect(missed).toMatchObject({ to: ['bob@contoso.com'], from: 'alice@contoso.com' });
    expect(missed?.['id']).toMatch(/^[0-9a-f]{64}$/);
    expect(missed?.['createdAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('sends one by ID prefix: delivered, copy in Conversation History, gone from Drafts, logged', async () => {
    const w = await world();
    const client = makeDraftsClient({ url: w.h.url, version: 'Exchange2013', timeoutMs: 5000, credentials: { kind: 'basic', username: 'alice', password: 'pw' }, rejectUnauthorized: true }); // prettier-ignore
    const target = (await client.list()).find((d) => d.subject === SUBJECT)!;
    expect(await draftsCommand(w.ctx, 'send', target.id.slice(0, 10), {})).toBe(0);
    expect(w.out.at(-1)).toBe(
      `${target.id.slice(0, 12)}: sent (copy saved in Conversation History)`,
    );
    const emls = (await fsp.readdir(w.mailbox)).filter((f) => f.endsWith('.eml'));
    expect(emls).toHaveLength(1);
    const mail = await simpleParser(await fsp.readFile(path.join(w.mailbox, emls[0]!)));
    expect(mail.subject).toBe(SUBJECT);
    expect(mail.headers.get('x-item-class')).toBe('IPM.Note.Microsoft.Missed');
    expect(mail.headers.get('x-imspooler-sandbox-folder')).toBe('conversationhistory');
    expect((await client.list()).map((d) => d.subject)).toEqual(['second']);
    const [line] = await w.logLines();
    expect(field(line!, 'event.action')).toBe('drafts.sent');
    expect(field(line!, 'event.outcome')).toBe('success');
    expect(JSON.stringify(line)).toContain(target.id);
    expect(JSON.stringify(line)).not.toContain('Lunch');
    await client.close();
  });

  it('deletes one (to Deleted Items), logged; an unknown ID changes nothing', async () => {
    const w = await world();
    await draftsCommand(w.ctx, 'list', undefined, { json: true });
    const doc = JSON.parse(w.out.join('\n')) as { drafts: Array<{ id: string; subject: string }> };
    const second = doc.drafts.find((d) => d.subject === 'second')!;
    expect(await draftsCommand(w.ctx, 'delete', second.id, {})).toBe(0);
    expect(w.out.at(-1)).toBe(`${second.id.slice(0, 12)}: moved to Deleted Items`);
    const err = await draftsCommand(w.ctx, 'delete', second.id, {}).catch((e: unknown) => e);
    expect(isUsageError(err)).toBe(true);
    w.out.length = 0;
    await draftsCommand(w.ctx, 'list', undefined, {});
    expect(w.out.join('\n')).toContain('1 stuck draft in');
    expect((await fsp.readdir(w.mailbox)).filter((f) => f.endsWith('.eml'))).toHaveLength(0);
    const lines = await w.logLines();
    expect(lines.map((l) => field(l, 'event.action'))).toEqual(['drafts.deleted']);
  });

  it('runs as `imspooler drafts` (the CLI): usage errors exit 2, list exits 0', async () => {
    const w = await world();
    const cli = (...args: string[]) =>
      runCli(['drafts', ...args, '--config', w.ctx.configFile!], { ...process.env, PW: 'pw' });
    const list = await cli('list', '--json');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { drafts: unknown[] }).drafts).toHaveLength(2);
    expect((await cli('send')).code).toBe(2);
    expect((await cli('send', 'zz')).stderr).toMatch(/not a draft ID/);
    expect((await cli('frobnicate')).code).toBe(2);
  });

  it('a wrong password is an error, not an empty list', async () => {
    const w = await world();
    const err = await draftsCommand({ ...w.ctx, env: { PW: 'nope' } }, 'list', undefined, {}).catch((e: unknown) => e); // prettier-ignore
    expect(isDeliveryError(err) && err.code).toBe('Http401');
  });
});
