// Fills a state folder with queued items in the queue's own layout (src/queue/queue-layout.ts,
// metadata as queue-admit.ts writes it), without the daemon: admitting 100,000 items through the
// real intake would fsync ~300,000 times and measure intake, not start-up.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dist, spoolJson } from './world.mjs';

const { ITEM_STATES } = await dist('queue/item-meta.js');
const { metaJson } = await dist('queue/meta-io.js');
const { queueLayout } = await dist('queue/queue-layout.js');
const { itemIdFor } = await dist('spool/item-id.js');

/**
 * Writes `count` items in `state` ('incoming' or 'deferred'); deferred ones are due at
 * `nextAttemptAt` (ms since epoch). Returns the IDs.
 */
export function seedQueue(
  stateDir,
  spoolFolder,
  count,
  { state = 'incoming', nextAttemptAt, offset = 0 } = {},
) {
  const layout = queueLayout(stateDir);
  for (const dir of [layout.root, ...layout.allDirs()])
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!ITEM_STATES.includes(state)) throw new Error(`unknown state ${state}`);
  const now = Date.now();
  const ids = [];
  for (let i = 0; i < count; i++) {
    const n = offset + i;
    const bytes = Buffer.from(spoolJson(n));
    const id = itemIdFor(bytes);
    const seenAt = new Date(now - (count - i) * 10).toISOString();
    const meta = {
      version: 1,
      id,
      state,
      seq: state === 'deferred' ? 3 : 1,
      source: `${spoolFolder}/bench-${n}.json`,
      size: bytes.length,
      firstSeenAt: seenAt,
      claimedAt: seenAt,
      updatedAt: seenAt,
      attempts:
        state === 'deferred'
          ? [
              {
                n: 1,
                startedAt: seenAt,
                durationMs: 12,
                outcome: 'deferred',
                group: 'org',
                error: { code: 'ErrorServerBusy', message: 'The server is busy.' },
                nextAttemptAt: new Date(nextAttemptAt).toISOString(),
              },
            ]
          : [],
      groups: {},
      format: 'json',
      envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com'], cc: [] },
      ...(state === 'deferred'
        ? {
            nextAttemptAt: new Date(nextAttemptAt).toISOString(),
            lastError: { code: 'ErrorServerBusy', message: 'The server is busy.' },
          }
        : {}),
    };
    writeFileSync(layout.dataPath(id), bytes, { mode: 0o600 });
    writeFileSync(layout.metaPath(state, id), metaJson(meta), { mode: 0o600 });
    ids.push(id);
  }
  return ids;
}
