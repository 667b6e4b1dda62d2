import { join } from 'node:path';
import { openConnection } from '../../src/queue/sqlite/driver.js';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonItem, makeWorld, waitUntil, type LogLine, type World } from '../e2e/harness.js';
import { isAction, startDaemon, status, stopDaemon } from './helpers.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Changes the queue database by hand, as a person with the sqlite3 shell could (not read-only). */
function byHand(w: World, sql: string, id: string): void {
  const db = openConnection(join(w.stateDir, 'queue.db'));
  try {
    db.prepare(sql).run(id);
  } finally {
    db.close();
  }
}
const loseContent = (w: World, id: string) => byHand(w, 'DELETE FROM content WHERE id = ?', id);

const internal = (l: LogLine): boolean => /internal error/i.test(l.message);
const about =
  (id: string) =>
  (l: LogLine): boolean =>
    l.imspooler?.item?.id === id || l.message.includes(id);

describe('issue 10.7: items whose content is gone are not retryable, and never loop', () => {
  it('retry --all skips them with a count, retry ID says why; the daemon does not loop on them', async () => {
    world = await makeWorld({}, { recipientErrors: { 'nobody@contoso.com': 'ErrorInvalidRecipients' } }); // prettier-ignore
    const d = await startDaemon(world);
    await world.drop('lost.json', jsonItem(1, ['nobody@contoso.com']));
    const failed = await d.waitForLine(isAction('delivery.failed'), 'the permanent failure');
    const id = failed.imspooler!.item!.id!;
    // The content is lost (deleted by hand): the item now can never be sent.
    loseContent(world, id);

    const all = await world.cli('retry', '--all');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^0 item\(s\) made due now; 1 skipped: their content is gone/);

    const one = await world.cli('retry', id.slice(0, 12));
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/is failed \(ErrorInvalidRecipients\): its content is gone, so it can never be sent/); // prettier-ignore
    expect(one.stderr).toContain(`imspooler delete ${id.slice(0, 12)}`);

    // Time passes (a good item goes through, many retry.minDelay of 200 ms): nothing more happens to it.
    await world.drop('good.json', jsonItem(2, ['bob@contoso.com']));
    await d.waitForLine(isAction('delivery.succeeded'), 'the good item');
    const all2 = await world.cli('retry', '--all');
    expect(all2.stdout).toMatch(/1 skipped/);
    await world.drop('good2.json', jsonItem(3, ['bob@contoso.com']));
    await waitUntil(() => d.actions('delivery.succeeded').length === 2, 'the second good item');
    expect(d.lines.filter(internal)).toEqual([]);
    expect(d.lines.filter(about(id)).map((l) => l.event?.action)).toEqual([
      'item.claimed',
      'delivery.failed',
    ]);
    const s = await status(world);
    expect(s.items).toMatchObject([{ id, state: 'failed', attempts: 1 }]);
    expect(await stopDaemon(d)).toBe(0);

    // A restart marks it ContentMissing; without a daemon the CLI applies the same rule itself.
    expect(await stopDaemon(await startDaemon(world))).toBe(0);
    const offline = await world.cli('retry', id.slice(0, 12));
    expect(offline.code).toBe(2);
    expect(offline.stderr).toMatch(/\(ContentMissing\): its content is gone/);
    expect((await world.cli('retry', '--all')).stdout).toMatch(
      /^0 item\(s\) made due now; 1 skipped/,
    );

    // Its metadata damaged too: kept visible as CorruptMetadata, and still not retried.
    byHand(world, "UPDATE items SET meta = '{ damaged' WHERE id = ?", id);
    expect(await stopDaemon(await startDaemon(world))).toBe(0);
    const corrupt = await world.cli('retry', id.slice(0, 12));
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(/\(CorruptMetadata\): its content is gone/);
    expect((await status(world)).items).toMatchObject([{ id, state: 'failed', lastError: { code: 'CorruptMetadata' } }]); // prettier-ignore
  });

  it('content lost while an item waits: one delivery.failed (ContentMissing), then nothing', async () => {
    world = await makeWorld({ retry: { minDelay: '200ms', maxDelay: '300ms' } }, { http503: true });
    const d = await startDaemon(world);
    await world.drop('wait.json', jsonItem(4, ['bob@contoso.com']));
    const deferred = await d.waitForLine(isAction('delivery.deferred'), 'a deferral');
    const id = deferred.imspooler!.item!.id!;
    loseContent(world, id);
    const failed = await d.waitForLine(
      (l) => isAction('delivery.failed')(l) && l.error?.code === 'ContentMissing',
      'the item failed for its missing content',
    );
    expect(failed['log.level']).toBe('error');
    world.sandbox.faults.clear();
    await world.drop('good.json', jsonItem(5, ['bob@contoso.com']));
    await d.waitForLine(isAction('delivery.succeeded'), 'a good item after it');
    expect(d.lines.filter(internal)).toEqual([]);
    expect(d.lines.filter((l) => about(id)(l) && isAction('delivery.failed')(l))).toHaveLength(1);
    const s = await status(world);
    expect(s.items).toMatchObject([{ id, state: 'failed', lastError: { code: 'ContentMissing' } }]);
    expect(await stopDaemon(d)).toBe(0);
  });
});
