// What taking the queue lock costs (docs/reliability.md, "One daemon per state folder"): the
// daemon and every CLI command that changes the queue pay it once. Runs in this process against the
// build under test: take and release, then a take refused because a holder answers, and the
// `status` question "does a daemon run?" when none does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dist } from './world.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeEach(n, fn) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return { medianMs: median(ms), maxMs: Math.max(...ms) };
}

export async function lockCost(count) {
  const { acquireQueueLock } = await dist('control/queue-lock.js');
  const { lockAddress, probeLock } = await dist('control/lock-endpoint.js');
  const dir = await mkdtemp(join(tmpdir(), 'imspooler-bench-lock-'));
  try {
    const take = await timeEach(count, async () => {
      const r = await acquireQueueLock(dir, 'daemon');
      await r.release();
    });
    const held = await acquireQueueLock(dir, 'daemon');
    const refused = await timeEach(count, async () => {
      const r = await acquireQueueLock(dir, 'daemon');
      if (r.kind !== 'daemon') throw new Error('a second take succeeded');
    });
    await held.release();
    const addr = lockAddress(dir);
    const askFree = await timeEach(count, () => probeLock(addr));
    return {
      count,
      kind: addr.kind,
      takeAndReleaseMs: take.medianMs,
      takeMaxMs: take.maxMs,
      refusedMs: refused.medianMs,
      askNoDaemonMs: askFree.medianMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
