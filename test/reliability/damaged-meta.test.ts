import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeQueueStore } from '../../src/queue/queue-store.js';
import { openConnection } from '../../src/queue/sqlite/driver.js';
import { runCli, type CliResult } from '../support/run-cli.js';
import { schemaErrors, validateShow } from '../status/schema-validator.js';

const ID = 'c0ffee'.padEnd(64, '1');
let dir: string;
let config: string;

/** Metadata that is JSON with the right frame (id, state, lists) but holds wrong types. */
const damaged = {
  version: 1,
  id: ID,
  state: 'failed',
  seq: 4,
  source: '/home/alice/History Spooler/x.json',
  format: 'json',
  envelope: { from: 'alice@contoso.com', to: null, cc: [], subject: 7 },
  size: 'big',
  firstSeenAt: '2026-11-24T09:58:03.000Z',
  claimedAt: null,
  updatedAt: '2026-11-24T10:00:00.000Z',
  attempts: [
    null,
    { n: 2, startedAt: '2026-11-24T09:59:00.000Z', durationMs: 12, outcome: 'failed', error: { code: 'ErrorInvalidRecipients', message: 'no such mailbox' } }, // prettier-ignore
    { n: 3, startedAt: 5, outcome: 'failed' },
  ],
  groups: { org: null, fed: { status: 'pending', recipients: { to: ['bob@fabrikam.com'], cc: [] }, itemClass: 'IPM.Note' } }, // prettier-ignore
  lastError: null,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imspooler-damaged-'));
  const state = join(dir, 'state');
  // The queue as the daemon leaves it, then the item's metadata damaged in place (by hand).
  const store = makeQueueStore({ stateDir: state });
  await store.open();
  await store.close();
  const db = openConnection(join(state, 'queue.db'));
  db.prepare('INSERT INTO items (id, state, first_seen_at, meta) VALUES (?, ?, ?, ?)').run(
    ID,
    'failed',
    damaged.firstSeenAt,
    JSON.stringify(damaged),
  );
  db.close();
  config = join(dir, 'imspooler.json');
  await writeFile(
    config,
    JSON.stringify({ spool: { paths: ['./spool'] }, stateDir: './state', delivery: { transport: 'sandbox' } }), // prettier-ignore
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cli = (...args: string[]): Promise<CliResult> =>
  runCli([...args, '--config', config], process.env);

describe('issue 10.9: show reads damaged metadata field by field: what can be shown, and what was damaged', () => {
  it('show prints the item with every whole field and names each damaged one', async () => {
    const r = await cli('show', ID.slice(0, 12));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`item      ${ID}`);
    expect(r.stdout).toContain('from      alice@contoso.com');
    expect(r.stdout).toContain('group     fed: pending, IPM.Note, bob@fabrikam.com');
    expect(r.stdout).toContain('#2 2026-11-24T09:59:00.000Z failed 12 ms ErrorInvalidRecipients: no such mailbox'); // prettier-ignore
    expect(r.stdout).toMatch(/damaged {3}8 field\(s\) of the metadata file could not be read/);
    for (const field of [
      'envelope.to: expected a list of addresses, found null',
      'envelope.subject',
      'size: expected a whole number, found "big"',
      'claimedAt',
      'attempts[0]',
      'attempts[2]',
      'groups.org',
      'lastError',
    ])
      // prettier-ignore
      expect(r.stdout).toContain(`  ${field}`);
  });

  it('show --json is valid against its schema and lists the damage', async () => {
    const r = await cli('show', ID, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(schemaErrors(validateShow, doc)).toBe('');
    expect(doc).toMatchObject({
      id: ID,
      state: 'failed',
      envelope: { from: 'alice@contoso.com', to: [], cc: [] },
      attempts: [{ n: 2 }],
      groups: { fed: { status: 'pending' } },
    });
    expect(doc).not.toHaveProperty('size');
    expect((doc.damaged as { field: string }[]).map((d) => d.field)).toEqual([
      'groups.org',
      'attempts[0]',
      'attempts[2]',
      'size',
      'claimedAt',
      'envelope.to',
      'envelope.subject',
      'lastError',
    ]);
  });

  it('status shows the item too', async () => {
    const r = await cli('status', '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { items: unknown[] }).items).toMatchObject([
      { id: ID, state: 'failed', from: 'alice@contoso.com', to: [], attempts: 3 },
    ]);
    const text = await cli('status');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(ID.slice(0, 12));
  });
});
