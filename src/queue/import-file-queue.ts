import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { crashPoint } from '../platform/crash-point.js';
import {
  bool,
  int,
  object,
  parseJson,
  parseJsonOrThrow,
  recordOf,
  str,
} from '../platform/json-shape.js';
import type { FsLike } from '../platform/fs-seam.js';
import { renameWithRetry, type BusyRetryOptions } from '../platform/rename-retry.js';
import { ITEM_STATES, type ItemMeta, type ItemState } from './item-meta.js';
import { makeLegacyContext, type DeliveredTombstone } from './legacy/file-queue-store.js';
import { queueLayout as legacyLayout } from './legacy/queue-layout.js';
import { recoverQueue } from './legacy/queue-recovery.js';
import type { QueueLayout } from './queue-layout.js';
import { rollbackQuietly, type Database } from './sqlite/driver.js';
import { fileStamp, type SetAside } from './sqlite/open-db.js';
import { rowOf, type WriteStatements } from './sqlite/schema.js';
import { readdirOrEmpty } from './unlink.js';

const reportShape = object<ImportReport>({
  items: recordOf(int) as (v: unknown, f: string) => Record<ItemState, number>,
  history: int,
  skipped: int,
  repaired: int,
  movedTo: str,
  resumed: bool,
});
/** What of a 0.1.0 tombstone the import uses; `groups` is not imported. */
const tombstoneShape = object<Omit<DeliveredTombstone, 'version' | 'groups'>>({
  id: str,
  deliveredAt: str,
  source: str,
  size: int,
  firstSeenAt: str,
  attempts: int,
});

/** What the import of a 0.1.0 file queue took over, for the log. */
export interface ImportReport {
  /** Items imported, by the state they were in. */
  items: Record<ItemState, number>;
  /** Delivered tombstones imported as history. */
  history: number;
  /** Items left out because the database already had them (a second import after a downgrade). */
  skipped: number;
  /** Items the 0.1.0 recovery repaired first (finished deliveries, orphaned content, ...). */
  repaired: number;
  /** Where the old folders went. */
  movedTo: string;
  /** True when this start only finished moving folders of an import committed earlier. */
  resumed: boolean;
}

/** The folders of 0.1.0 that the database replaces; `claimed/`, `quarantine-entries/` and `control/` stay. */
const LEGACY_DIRS = ['queue', 'data', 'delivered', 'corrupt', 'tmp'] as const;
const MARKER = 'file-queue-0.1.0-import';

/**
 * Imports a state folder written by the file queue of 0.1.0, at the first start of this
 * version. Steps, each safe to repeat after a kill at any instant:
 * 1. The 0.1.0 recovery runs on the old folders (it finishes or rolls back what a crash of the
 *    old version left half done, as that version would have at its next start).
 * 2. One transaction inserts every item in its state, with its attempts and groups (an `unclear`
 *    group stays `unclear`: looked up before any resend) and its content, the tombstones as
 *    `delivered` history, and a marker naming where the old folders go. Killed before the
 *    commit, nothing of it exists and the next start does it again.
 * 3. The old folders are renamed into that folder (not deleted), one by one; then the marker is
 *    removed. Killed in between, the next start sees the marker and only finishes the moves.
 * Returns undefined when there is nothing to import.
 */
export async function importFileQueue(d: {
  db: Database;
  w: WriteStatements;
  layout: QueueLayout;
  fs: FsLike;
  clock: Clock;
  busy: BusyRetryOptions;
  /** An odd entry among the old folders (a folder named like a metadata file) was set aside. */
  onSetAside?: (entry: SetAside) => void;
}): Promise<ImportReport | undefined> {
  const { db, w, layout, fs } = d;
  const getMarker = db.prepare('SELECT value FROM store_info WHERE key = ?');
  const marker = getMarker.get(MARKER) as { value: string } | undefined;
  const present: string[] = [];
  for (const name of LEGACY_DIRS) {
    const st = await fs.lstat(join(layout.root, name)).catch(() => undefined);
    if (st?.isDirectory()) present.push(name);
  }
  if (marker) {
    // A marker that does not read stops the start with a message naming it, not a TypeError.
    const done = parseJsonOrThrow(marker.value, `the database's ${MARKER} record`, reportShape);
    await moveAside(present, done.movedTo);
    return { ...done, resumed: true };
  }
  if (!present.includes('queue') && !present.includes('data') && !present.includes('delivered')) {
    return undefined;
  }

  const old = legacyLayout(layout.root);
  const ctx = makeLegacyContext({ fs, clock: d.clock, layout: old, busy: d.busy });
  for (const dir of [...ITEM_STATES.map((s) => old.stateDir(s)), old.tmpDir, old.corruptDir]) {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  }
  const report: ImportReport = {
    items: Object.fromEntries(ITEM_STATES.map((s) => [s, 0])) as Record<ItemState, number>,
    history: 0,
    skipped: 0,
    repaired: 0,
    movedTo: await freeName(fs, layout.legacyAsideDir, d.clock.now()),
    resumed: false,
  };
  const exists = db.prepare('SELECT 1 FROM items WHERE id = ?');
  db.exec('BEGIN IMMEDIATE');
  try {
    const recovery = await recoverQueue(ctx, (meta: ItemMeta) => {
      if (exists.get(meta.id)) {
        report.skipped++;
        return;
      }
      w.upsert.run(rowOf(meta));
      let bytes: Buffer | undefined;
      try {
        bytes = readFileSync(old.dataPath(meta.id));
      } catch {
        // Entries quarantined unread stay in quarantine-entries/; content the 0.1.0 recovery
        // found missing is already marked ContentMissing in the item's lastError.
      }
      if (bytes) w.putContent.run(meta.id, bytes);
      report.items[meta.state]++;
    }, (e) => d.onSetAside?.({ path: e.from, movedTo: e.to, reason: `a ${e.what} where a metadata file of 0.1.0 belongs` })); // prettier-ignore
    report.repaired =
      recovery.requeuedFromActive.length +
      recovery.duplicatesResolved.length +
      recovery.deliveryFinished.length +
      recovery.orphanDataReadmitted.length +
      recovery.missingContent.length +
      recovery.corruptMeta.length +
      recovery.recoveredEntries.length;
    for (const name of await readdirOrEmpty(fs, old.deliveredDir)) {
      if (!name.endsWith('.json')) continue;
      let text: string;
      try {
        text = readFileSync(join(old.deliveredDir, name), 'utf8');
      } catch {
        continue; // an unreadable tombstone only ever served to spot a duplicate
      }
      const read = parseJson(text, name, tombstoneShape);
      if (!read.ok) continue; // nor does a damaged one
      const t = read.value;
      if (exists.get(t.id)) continue;
      const meta: ItemMeta = {
        version: 1,
        id: t.id,
        // The queue state it left from is not recorded in a tombstone.
        state: 'incoming',
        seq: 1,
        source: t.source,
        size: t.size,
        firstSeenAt: t.firstSeenAt,
        claimedAt: t.firstSeenAt,
        updatedAt: t.deliveredAt,
        attempts: [],
        attemptCount: t.attempts,
        groups: {},
      };
      w.upsert.run(rowOf(meta, 'delivered', t.deliveredAt));
      report.history++;
    }
    db.prepare('INSERT OR REPLACE INTO store_info (key, value) VALUES (?, ?)').run(
      MARKER,
      JSON.stringify(report),
    );
    crashPoint('import-recovered');
    db.exec('COMMIT');
  } catch (e) {
    rollbackQuietly(db);
    throw e;
  }
  crashPoint('import-committed');
  await moveAside(present, report.movedTo);
  return report;

  async function moveAside(names: string[], to: string): Promise<void> {
    await fs.mkdir(to, { recursive: true, mode: 0o700 });
    for (const name of names) {
      await renameWithRetry(fs, join(layout.root, name), join(to, name), d.busy);
      crashPoint('import-moving');
    }
    db.prepare('DELETE FROM store_info WHERE key = ?').run(MARKER);
  }
}

/** `file-queue-0.1.0`, or with a time stamp when an earlier import already used that name. */
async function freeName(fs: FsLike, path: string, now: number): Promise<string> {
  const taken = await fs.lstat(path).then(
    () => true,
    () => false,
  );
  return taken ? `${path}-${fileStamp(now)}` : path;
}
