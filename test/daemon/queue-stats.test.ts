import { expect, it } from 'vitest';
import type { DaemonObserver } from '../../src/daemon/daemon.js';
import { publishQueueStats } from '../../src/daemon/queue-stats.js';
import type { ItemState } from '../../src/queue/item-meta.js';
import { manualClock } from '../support/manual-clock.js';

const counts = (incoming: number): Record<ItemState, number> => ({
  incoming,
  active: 0,
  deferred: 0,
  held: 0,
  failed: 0,
  quarantined: 0,
});

it('queue counts reach the metrics at start, at a scrape and every 15 s on the clock, until stopped', async () => {
  const { clock, advance, pending } = manualClock();
  const seen: { stats: Record<string, number>; oldest: number | undefined }[] = [];
  let scrape: (() => Promise<unknown>) | undefined;
  const observer: DaemonObserver = {
    serverBackoff: () => {},
    folderProblem: () => {},
    queue: (stats, oldest) => void seen.push({ stats, oldest }),
    queueSource: (read) => void (scrape = read),
  };
  let queued = 3;
  const stop = await publishQueueStats(
    {
      observer,
      clock,
      stats: async () => counts(queued),
      graceCount: () => 2,
      oldestWaiting: () => 42,
    },
    counts(1),
  );
  // At start, the counts start-up already read, with the files in grace.
  expect(seen).toEqual([{ stats: { ...counts(1), grace: 2 }, oldest: 42 }]);
  expect(await scrape!()).toEqual({ stats: { ...counts(3), grace: 2 }, oldestFirstSeenAt: 42 });
  await advance(14_999);
  expect(seen).toHaveLength(1);
  queued = 5;
  await advance(1);
  expect(seen.at(-1)).toEqual({ stats: { ...counts(5), grace: 2 }, oldest: 42 });
  await advance(30_000);
  expect(seen).toHaveLength(4);
  stop();
  expect(pending()).toBe(0);
  await advance(60_000);
  expect(seen).toHaveLength(4);
});
