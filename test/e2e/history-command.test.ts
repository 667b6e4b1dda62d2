import { afterEach, describe, expect, it } from 'vitest';
import { itemIdFor } from '../../src/item/item-id.js';
import { schemaErrors, validateShow } from '../status/schema-validator.js';
import { queueStates } from '../support/queue-db.js';
import { jsonItem, makeWorld, waitUntil, type World } from './harness.js';

/**
 * Support's question, "what happened to what Alice sent Bob?", answered by `imspooler history`
 * and `show` a while later: delivered, deferred and deleted items with known addresses, found by
 * recipient (To or Cc), sender and time, with and without the daemon (issue 11, item 2).
 */

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface HistoryDoc {
  generatedAt: string;
  items: {
    id: string;
    state: string;
    from: string | null;
    to: string[];
    cc: string[];
    firstSeenAt: string;
    finishedAt: string | null;
    attempts: number;
    source: string;
  }[];
}

async function history(w: World, ...args: string[]): Promise<HistoryDoc> {
  const r = await w.cli('history', '--json', ...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as HistoryDoc;
}
const ids = (d: HistoryDoc) => d.items.map((i) => i.id).sort();

describe('history and show answer "did Bob get it?"', () => {
  it('finds delivered, deferred and deleted items by recipient, sender and time', async () => {
    world = await makeWorld(
      { retry: { minDelay: '1h', maxDelay: '2h' } },
      {
        recipientErrors: {
          'dan@contoso.com': 'ErrorServerBusy',
          'frank@contoso.com': 'ErrorInvalidRecipients',
        },
      },
    );
    const toBob = jsonItem(1, ['bob@contoso.com']);
    const ccBob = jsonItem(2, ['eve@fabrikam.com'], {
      cc: ['Bob@Contoso.com'],
      from: 'carol@contoso.com',
    });
    const toDan = jsonItem(3, ['dan@contoso.com']);
    const doomed = jsonItem(4, ['frank@contoso.com'], { subject: 'to be deleted' });
    const [bob, cc, dan, del] = [toBob, ccBob, toDan, doomed].map((c) =>
      itemIdFor(Buffer.from(c)),
    ) as [string, string, string, string];
    const d = world.start();
    await d.waitForLine((l) => l.event?.action === 'daemon.started', 'start');
    await world.drop('1.json', toBob);
    await world.drop('2.json', ccBob);
    await world.drop('3.json', toDan);
    await world.drop('4.json', doomed);
    await waitUntil(() => {
      const s = queueStates(world!.stateDir, { history: true });
      return (
        s.get(bob) === 'delivered' &&
        s.get(cc) === 'delivered' &&
        s.get(dan) === 'deferred' &&
        s.get(del) === 'failed'
      );
    }, 'two delivered, one deferred, one failed');
    const deleted = await world.cli('delete', del.slice(0, 12));
    expect(deleted.code).toBe(0);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    // From here on without the daemon.

    // "bob" in To or Cc, any case: the delivered item and the one where he was in Cc.
    expect(ids(await history(world, '--to', 'BOB@contoso.com'))).toEqual([bob, cc].sort());
    expect(ids(await history(world, '--from', 'carol@contoso.com'))).toEqual([cc]);
    expect(ids(await history(world, '--from', 'alice@contoso.com'))).toEqual(
      [bob, dan, del].sort(),
    );
    expect(ids(await history(world, '--since', '1h'))).toEqual([bob, cc, dan, del].sort());
    expect(ids(await history(world, '--since', '1h', '--limit', '2'))).toHaveLength(2);
    const all = await history(world);
    const byId = new Map(all.items.map((i) => [i.id, i]));
    expect(byId.get(bob)).toMatchObject({
      state: 'delivered',
      from: 'alice@contoso.com',
      to: ['bob@contoso.com'],
      cc: [],
      attempts: 1,
      finishedAt: expect.stringMatching(/^\d{4}-/),
    });
    expect(byId.get(dan)).toMatchObject({ state: 'deferred', finishedAt: null, attempts: 1 });
    expect(byId.get(del)).toMatchObject({ state: 'deleted', to: ['frank@contoso.com'] });
    // Newest first.
    const seen = all.items.map((i) => i.firstSeenAt);
    expect([...seen].sort().reverse()).toEqual(seen);

    // show tells a delivered item's story: when, to whom, which class, how many attempts.
    const shown = await world.cli('show', bob.slice(0, 10));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^state\s+delivered$/m);
    expect(shown.stdout).toMatch(/^delivered\s+\d{4}-.*after 1 attempt\(s\)$/m);
    expect(shown.stdout).toMatch(
      /group\s+org: sent .*IPM\.Note\.Microsoft\.Missed, bob@contoso\.com/,
    );
    const json = await world.cli('show', bob, '--json');
    const doc = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(schemaErrors(validateShow, doc)).toBe('');
    expect(doc).toMatchObject({ state: 'delivered', finishedAt: expect.any(String) });
    // Operator commands no longer find it, and say where it went.
    const retry = await world.cli('retry', bob.slice(0, 12));
    expect(retry.code).toBe(2);
    expect(retry.stderr).toMatch(/was delivered .* no longer in the queue/);

    // The table, for a person.
    const table = await world.cli('history', '--to', 'bob@contoso.com');
    expect(table.stdout).toMatch(/^ID\s+STATE\s+SEEN\s+FINISHED\s+TRIES\s+FROM\s+TO$/m);
    expect(table.stdout).toMatch(new RegExp(`^${bob.slice(0, 12)}\\s+delivered`, 'm'));
  }, 60_000);

  it('names the state folder and config when nothing is found, and refuses bad options', async () => {
    world = await makeWorld();
    const none = await world.cli('history', '--to', 'nobody@contoso.com');
    expect(none.code).toBe(0);
    expect(none.stdout).toContain(
      `queue read from ${world.stateDir} (config: ${world.configPath})`,
    );
    const show = await world.cli('show', 'abcdef0123');
    expect(show.code).toBe(2);
    expect(show.stderr).toContain(
      `queue read from ${world.stateDir} (config: ${world.configPath})`,
    );
    const status = await world.cli('status');
    expect(status.stdout).toContain(
      `queue read from ${world.stateDir} (config: ${world.configPath})`,
    );
    for (const bad of [
      ['--since', 'soon'],
      ['--limit', '0'],
      ['--to', 'bob'],
    ]) {
      const r = await world.cli('history', ...bad);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(r.stderr).toMatch(new RegExp(`^imspooler: ${bad[0]}: `));
    }
  });
});
