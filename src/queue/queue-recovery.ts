import { join } from 'node:path';
import type { FsLike } from '../platform/fs-seam.js';
import type { ImportReport } from './import-file-queue.js';
import { ITEM_STATES, type ItemMeta } from './item-meta.js';
import { isSafeId, CLAIMED_SUFFIX, type QueueLayout } from './queue-layout.js';
import { metaOfRow } from './queue-read.js';
import { rollbackQuietly, type Database } from './sqlite/driver.js';
import type { SetAside } from './sqlite/open-db.js';
import { rowOf, type WriteStatements } from './sqlite/schema.js';
import { readdirOrEmpty } from './unlink.js';

const QUEUE_STATES_SQL = ITEM_STATES.map((s) => `'${s}'`).join(', ');

/** What start-up needs of an item waiting for delivery or held (no JSON parsed to get it). */
export type StartupItem = Pick<
  ItemMeta,
  'id' | 'state' | 'firstSeenAt' | 'nextAttemptAt' | 'heldBy'
>;

/** What `open()` found and repaired. Every list holds item IDs unless said otherwise. */
export interface RecoveryReport {
  /** Paths in `claimed/` not (or not known to be) in the database: the daemon admits them now. */
  claimed: string[];
  /** Items caught in `active` by a stop or crash, put back in `incoming`. */
  requeuedFromActive: string[];
  /** Quarantined entries with no row (a crash mid-quarantine): their row was written. */
  recoveredEntries: string[];
  /** Items whose content is gone (removed by hand, or lost before the 0.1.0 import): now failed. */
  missingContent: string[];
  /** Half-finished copies in `claimed/` and entries of items that left the queue, removed. */
  strayRemoved: number;
  /** History rows older than `history.retention`, removed. */
  historyPruned: number;
  /** Odd entries and a damaged database moved out of the way (the daemon logs each). */
  setAside: SetAside[];
  /** The file queue of 0.1.0, when one was found and imported at this start. */
  imported?: ImportReport;
}

/**
 * Brings the queue back to a consistent state after a stop or a crash at any instant. The
 * database itself needs no repair (a transaction is committed whole or not at all); what remains
 * is what lives beside it: files in `claimed/` (a crash before or just after their admission),
 * entries in `quarantine-entries/` (a crash between the move and the row), and items that were
 * being delivered (`active`: a group `sending` becomes `unclear`, looked up before any resend).
 */
export async function recoverStore(d: {
  db: Database;
  w: WriteStatements;
  layout: QueueLayout;
  fs: FsLike;
  now: () => number;
  unlink: (path: string) => Promise<boolean>;
}): Promise<RecoveryReport> {
  const { db, w, layout, fs } = d;
  const report: RecoveryReport = {
    claimed: [],
    requeuedFromActive: [],
    recoveredEntries: [],
    missingContent: [],
    strayRemoved: 0,
    historyPruned: 0,
    setAside: [],
  };
  const at = new Date(d.now()).toISOString();

  // 1. claimed/: a `.partial` is a cross-volume copy whose source is still in the spool folder.
  for (const name of (await readdirOrEmpty(fs, layout.claimedDir)).sort()) {
    const path = join(layout.claimedDir, name);
    if (name.endsWith(`${CLAIMED_SUFFIX}.partial`)) {
      if (await d.unlink(path)) report.strayRemoved++;
    } else report.claimed.push(path);
  }

  // 2. Interrupted mid-delivery: due again; a group whose request may have gone out is looked
  // up in the saved-copy folder before it is sent again. One transaction for all of them.
  const active = db.prepare("SELECT id, meta FROM items WHERE state = 'active'").all() as {
    id: string;
    meta: string;
  }[];
  // 3. Entries without a row, and entries of items that left the queue.
  const entryIds = (await readdirOrEmpty(fs, layout.entriesDir)).filter(isSafeId);
  const stateOf = db.prepare('SELECT finished_at FROM items WHERE id = ?');
  const orphans: { id: string; size: number }[] = [];
  let queuedEntries = 0;
  for (const id of entryIds) {
    const row = stateOf.get(id) as { finished_at: string | null } | undefined;
    if (!row) orphans.push({ id, size: (await fs.lstat(layout.entryPath(id))).size });
    else if (row.finished_at === null) queuedEntries++;
    else if (await d.unlink(layout.entryPath(id))) report.strayRemoved++;
  }
  // 4. Items in the queue without content (and not entries quarantined unread): nothing can be
  // delivered; say so where a person will look, once. A content row is written and dropped in
  // the same transactions as its item's row, so there is one per queued item save the entries:
  // when the two counts (indexes only, a few ms) agree, the search that reads every queued row
  // (0.27 s of CPU at 100,000 items) has nothing to find.
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  const queued = count(`SELECT count(*) AS n FROM items WHERE state IN (${QUEUE_STATES_SQL})`);
  const contents = count('SELECT count(*) AS n FROM content');
  const contentless =
    contents === queued - queuedEntries
      ? []
      : (db
          .prepare(
            `SELECT id, state, meta FROM items i WHERE finished_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM content c WHERE c.id = i.id)`,
          )
          .all() as { id: string; state: string; meta: string }[]);
  const entrySet = new Set(entryIds);
  const missing = contentless.filter((r) => !entrySet.has(r.id) && r.state !== 'active');
  if (active.length === 0 && orphans.length === 0 && missing.length === 0) return report;
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const r of active) {
      const m = metaOfRow(r.id, 'active', r.meta);
      const groups = { ...m.groups };
      for (const g of Object.keys(groups) as (keyof typeof groups)[]) {
        const p = groups[g];
        if (p?.status === 'sending') groups[g] = { ...p, status: 'unclear' };
      }
      w.upsert.run(rowOf({ ...m, groups, state: 'incoming', seq: m.seq + 1, updatedAt: at }));
      report.requeuedFromActive.push(r.id);
    }
    for (const r of missing) {
      const m = metaOfRow(r.id, r.state, r.meta);
      if (m.lastError?.code === 'ContentMissing' || m.lastError?.code === 'CorruptMetadata') {
        continue;
      }
      const lastError = {
        code: 'ContentMissing',
        message: `the content of item ${r.id} is not in the queue database (removed by hand, or lost before the upgrade); it cannot be delivered`,
      };
      const state = m.state === 'quarantined' ? 'quarantined' : 'failed';
      w.upsert.run(rowOf({ ...m, lastError, state, seq: m.seq + 1, updatedAt: at }));
      report.missingContent.push(r.id);
    }
    for (const { id, size } of orphans) {
      const reason = {
        code: 'RecoveredEntry',
        message: 'found in quarantine-entries/ without its record after a crash; it was not read',
      };
      const meta: ItemMeta = {
        version: 1,
        id,
        state: 'quarantined',
        seq: 1,
        source: '(unknown: recovered after a crash)',
        size,
        firstSeenAt: at,
        claimedAt: at,
        updatedAt: at,
        attempts: [],
        groups: {},
        quarantine: reason,
        lastError: reason,
      };
      w.upsert.run(rowOf(meta));
      report.recoveredEntries.push(id);
    }
    db.exec('COMMIT');
  } catch (e) {
    rollbackQuietly(db);
    throw e;
  }
  return report;
}
