// The durable queue's own cost per delivered item, without HTTP, parsing or logging: what every
// item pays on this disk before anything else. Runs in this process against the build under test.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dist } from './world.mjs';

/**
 * `count` items, 8 at a time, through the same three durable steps the daemon takes for a
 * single-group item: admit (bytes and metadata), the `sending` save that moves it to `active`,
 * and the move to the history. Reports CPU (user and system: fsync work in the kernel counts),
 * commits per item (each commit is one fsync of the WAL with synchronous=FULL; checkpoints add a
 * few per thousand pages), and the rate one core could sustain on the queue alone.
 */
export async function queueCost(count) {
  const { makeQueueStore } = await dist('queue/queue-store.js');
  let commits = 0;
  const dir = await mkdtemp(join(tmpdir(), 'imspooler-bench-queue-'));
  let store;
  try {
    store = makeQueueStore({ stateDir: dir, onCommit: () => void commits++ });
    await store.open();
    commits = 0;
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const one = async (n) => {
      const content = `{"bench":${n}}`;
      const id = createHash('sha256').update(content).digest('hex');
      const claimed = store.claimPath(`bench-${n}.json`);
      await writeFile(claimed, content);
      const parsed = {
        ok: true,
        item: {
          id,
          format: 'json',
          from: 'a@contoso.com',
          to: ['b@contoso.com'],
          cc: [],
          messages: [{ text: 'x' }],
        },
      };
      const now = new Date().toISOString();
      const res = await store.admit(claimed, {
        source: claimed,
        firstSeenAt: now,
        size: content.length,
        id,
        parsed,
        bytes: Buffer.from(content),
      });
      const sending = await store.save(
        { ...res.meta, groups: { org: { status: 'sending' } } },
        'active',
      );
      await store.markDelivered(sending);
    };
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < count) await one(next++);
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    const cpuMsPerItem = (cpu.user + cpu.system) / 1000 / count;
    return {
      items: count,
      seconds: (performance.now() - t0) / 1000,
      cpuMsPerItem,
      userMsPerItem: cpu.user / 1000 / count,
      systemMsPerItem: cpu.system / 1000 / count,
      commitsPerItem: commits / count,
      itemsPerCpuSecond: 1000 / cpuMsPerItem,
    };
  } finally {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
