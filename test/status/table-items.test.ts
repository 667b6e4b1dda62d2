import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import type { QueueStore } from '../../src/queue/queue-store.js';
import { renderStatusTable } from '../../src/status/render-table.js';
import { assembleStatusDoc } from '../../src/status/status-doc.js';
import { readTableItems } from '../../src/status/table-items.js';
import { admitContent, closeAll, openStore, T0, tempStateDir } from '../queue/helpers.js';
import { manualClock } from '../support/manual-clock.js';

/** The `status` table of a big queue: the counts of all of it, the first rows, and what was left out. */
let dir: string;
let store: QueueStore;
beforeEach(async () => {
  dir = await tempStateDir();
  store = await openStore(dir, { clock: manualClock() });
});
afterEach(async () => {
  await closeAll();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function queue(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const firstSeenAt = new Date(T0 - (n - i) * 60_000).toISOString(); // item 0 is the oldest
    ids.push((await admitContent(store, `item ${i}`, { name: `i${i}.json`, firstSeenAt })).id);
  }
  return ids;
}

describe('readTableItems', () => {
  it('reads the first rows in the table order and counts the whole queue', async () => {
    const ids = await queue(6);
    // The newest item fails: failed rows come after every queued one.
    await store.save((await store.get(ids[5]!))!, 'failed');
    const t = await readTableItems(store, undefined, 3);
    expect(t.items.map((i) => i.id)).toEqual(ids.slice(0, 3));
    expect(t.counts).toMatchObject({ queued: 5, failed: 1, active: 0 });
    expect(t.omitted).toBe(3);

    const doc = assembleStatusDoc({
      now: T0,
      daemon: undefined,
      items: t.items,
      grace: [],
      queueCounts: t.counts,
    });
    const text = renderStatusTable(doc, { omitted: t.omitted });
    expect(text).toContain('… and 3 more (imspooler status --all lists every one');
    expect(text).toContain(
      '6 item(s): 0 in grace, 5 queued, 0 active, 0 deferred, 0 held, 1 failed',
    );
    expect(text.split('\n').filter((l) => /^[0-9a-f]{12} /.test(l))).toHaveLength(3);
  });

  it('with --state, reads and counts only those states; the counts stay whole', async () => {
    const ids = await queue(4);
    await store.save((await store.get(ids[3]!))!, 'failed');
    const t = await readTableItems(store, ['failed'], 3);
    expect(t.items.map((i) => [i.id, i.state])).toEqual([[ids[3], 'failed']]);
    expect(t.omitted).toBe(0);
    expect(t.counts.queued).toBe(3);
  });

  it('leaves nothing out of a queue that fits', async () => {
    await queue(2);
    const t = await readTableItems(store, undefined, 50);
    expect(t.items).toHaveLength(2);
    expect(t.omitted).toBe(0);
    const doc = assembleStatusDoc({ now: T0, daemon: undefined, items: t.items, grace: [] });
    expect(renderStatusTable(doc, { omitted: t.omitted })).not.toContain('more (');
  });
});
