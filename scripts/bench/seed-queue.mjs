// Fills a state folder's queue database with queued items (src/queue/sqlite/schema.ts, metadata
// as the store writes it), without the daemon: admitting 100,000 items through the real intake
// would measure intake, not start-up. One transaction, so seeding takes seconds.
import { dist, spoolJson } from './world.mjs';

const { ITEM_STATES } = await dist('queue/item-meta.js');
const { queueLayout } = await dist('queue/queue-layout.js');
const { openWriter } = await dist('queue/sqlite/open-db.js');
const { prepareWrites, rowOf } = await dist('queue/sqlite/schema.js');
const { itemIdFor } = await dist('item/item-id.js');

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
  if (!ITEM_STATES.includes(state)) throw new Error(`unknown state ${state}`);
  const { db } = openWriter(queueLayout(stateDir), Date.now());
  const w = prepareWrites(db);
  const now = Date.now();
  const ids = [];
  db.exec('BEGIN IMMEDIATE');
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
    w.upsert.run(rowOf(meta));
    w.putContent.run(id, bytes);
    ids.push(id);
  }
  db.exec('COMMIT');
  db.close();
  return ids;
}
