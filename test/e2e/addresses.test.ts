import { afterEach, describe, expect, it } from 'vitest';
import { makeWorld, mimeItem, waitUntil, type LogLine, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface EmailFields {
  from?: { address?: string[] };
  to?: { address?: string[] };
  cc?: { address?: string[] };
}
const email = (l: LogLine) => l.email as EmailFields | undefined;
const action = (l: LogLine) => l.event?.action;
const idOf = (l: LogLine) => l.imspooler?.item?.id;

/** What a support engineer does with `grep`/Kibana: every line whose `email.to.address` has `who`. */
const linesTo = (lines: LogLine[], who: string) =>
  lines.filter((l) =>
    [...(email(l)?.to?.address ?? []), ...(email(l)?.cc?.address ?? [])].includes(who),
  );

const SUBJECT = 'Quarterly numbers SUBJECT-7f3a';
const BODY = 'Call me before the board meeting BODY-91c2';

describe('addresses in the log (issue 11)', () => {
  it('item lines carry email.from/to/cc.address, so each message is found by whom it was for; subjects and bodies never appear', async () => {
    world = await makeWorld(
      {},
      { recipientErrors: { 'erin@fabrikam.com': 'ErrorMailboxStoreUnavailable' } },
    );
    const daemon = world.start();
    await daemon.waitForLine((l) => action(l) === 'daemon.started', 'daemon.started');
    await world.drop(
      'to-bob.json',
      JSON.stringify({
        from: 'alice@contoso.com',
        to: ['sip:Bob@contoso.com'],
        cc: ['carol@fabrikam.com'],
        subject: SUBJECT,
        messages: [{ at: '2026-11-24T09:58:03Z', text: BODY }],
      }),
    );
    await world.drop(
      'to-erin.json',
      JSON.stringify({
        from: 'alice@contoso.com',
        to: ['erin@fabrikam.com'],
        subject: `${SUBJECT} (2)`,
        messages: [{ text: `${BODY} (2)` }],
      }),
    );
    await world.drop('to-dave.eml', mimeItem(7, 'Dave <dave@contoso.com>'));

    await waitUntil(() => daemon.actions('delivery.succeeded').length === 2, '2 delivered');
    const deferred = await daemon.waitForLine(
      (l) => action(l) === 'delivery.deferred',
      'delivery.deferred',
    );
    const erinId = idOf(deferred)!;
    const del = await world.cli('delete', erinId.slice(0, 12));
    expect(del.code).toBe(0);
    await daemon.waitForLine((l) => action(l) === 'item.deleted', 'item.deleted');

    // Bob (To, as `sip:Bob@…` in the file: the bare address is logged) and Carol (Cc).
    const bob = linesTo(daemon.lines, 'Bob@contoso.com');
    expect(bob.map(action)).toEqual(['item.claimed', 'delivery.succeeded']);
    expect(new Set(bob.map(idOf)).size).toBe(1);
    expect(email(bob[1]!)).toEqual({
      from: { address: ['alice@contoso.com'] },
      to: { address: ['Bob@contoso.com'] },
      cc: { address: ['carol@fabrikam.com'] },
    });
    expect(linesTo(daemon.lines, 'carol@fabrikam.com').map(action)).toEqual(bob.map(action));
    // Erin's message: taken, deferred (at least once), deleted: every step carries her address.
    const erin = linesTo(daemon.lines, 'erin@fabrikam.com').map(action);
    expect(erin[0]).toBe('item.claimed');
    expect(erin).toContain('delivery.deferred');
    expect(erin.at(-1)).toBe('item.deleted');
    // The MIME item's addresses come from its headers, the display name dropped.
    expect(linesTo(daemon.lines, 'dave@contoso.com').map(action)).toEqual([
      'item.claimed',
      'delivery.succeeded',
    ]);
    // By sender: every item line of the three items.
    const fromAlice = daemon.lines.filter((l) =>
      email(l)?.from?.address?.includes('alice@contoso.com'),
    );
    expect(new Set(fromAlice.map(idOf)).size).toBe(3);
    // Lines before the content was read carry no addresses.
    for (const l of daemon.actions('spool.detected')) expect(email(l)).toBeUndefined();

    // Not one line, of any kind, holds a subject or a body.
    expect(daemon.lines.length).toBeGreaterThan(10);
    for (const l of daemon.lines) {
      const text = JSON.stringify(l);
      for (const secret of ['SUBJECT-7f3a', 'BODY-91c2', 'Offline IM 7', 'Are you free at 3'])
        expect(text).not.toContain(secret);
    }
    daemon.proc.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 60_000);

  it('log.addresses: false (here from IMSPOOLER__LOG__ADDRESSES) leaves every address out', async () => {
    world = await makeWorld();
    const daemon = world.start({ IMSPOOLER__LOG__ADDRESSES: 'false' });
    await daemon.waitForLine((l) => action(l) === 'daemon.started', 'daemon.started');
    await world.drop('to-bob.eml', mimeItem(1, 'bob@contoso.com'));
    await daemon.waitForLine((l) => action(l) === 'delivery.succeeded', 'delivery.succeeded');
    expect(daemon.actions('item.claimed')).toHaveLength(1);
    for (const l of daemon.lines) {
      expect(l.email).toBeUndefined();
      expect(JSON.stringify(l)).not.toContain('bob@contoso.com');
    }
    daemon.proc.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 60_000);
});
