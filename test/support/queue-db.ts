import { join } from 'node:path';
import { openConnection } from '../../src/queue/sqlite/driver.js';

/**
 * Item states straight from the queue database, opened read-only as `status` opens it: cheap
 * enough to poll (a CLI run is not). Public state names (`queued` for `incoming`); items that
 * left the queue are `delivered` or `deleted`. Empty while there is no database yet.
 */
export function queueStates(
  stateDir: string,
  opts: { history?: boolean } = {},
): Map<string, string> {
  const out = new Map<string, string>();
  let db;
  try {
    db = openConnection(join(stateDir, 'queue.db'), { readOnly: true });
  } catch {
    return out;
  }
  try {
    const rows = db
      .prepare(`SELECT id, state FROM items ${opts.history ? '' : 'WHERE finished_at IS NULL'}`)
      .all() as { id: string; state: string }[];
    for (const r of rows) out.set(r.id, r.state === 'incoming' ? 'queued' : r.state);
  } catch {
    // The daemon is creating the schema right now.
  } finally {
    db.close();
  }
  return out;
}
