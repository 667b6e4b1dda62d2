import { join } from 'node:path';
import { setAsideIfUnexpected, type SetAsideEntry } from '../../platform/set-aside.js';
import { TMP_SUFFIX } from '../atomic-write.js';
import { ITEM_STATES, type ItemMeta, type ItemState } from '../item-meta.js';
import { readdirOrEmpty } from './meta-io.js';
import { listMetaFiles, scanMeta, winnerOf, type ScannedItem } from './meta-scan.js';
import { CLAIMED_SUFFIX, claimedName, idOfMetaName, isSafeId } from './queue-layout.js';
import type { StoreContext } from './store-context.js';

/** What `open()` found and repaired. Every list holds item IDs unless said otherwise. */
export interface RecoveryReport {
  /** Paths in `claimed/` that were never admitted: the daemon must admit them now. */
  claimed: string[];
  /** Items caught in `active` by a stop or crash, put back in `incoming`. */
  requeuedFromActive: string[];
  /** Items found in two state folders (a crash mid-move); the newer copy was kept. */
  duplicatesResolved: string[];
  /** Items whose delivery tombstone existed: their removal from the queue was finished. */
  deliveryFinished: string[];
  /** Content files with no metadata (a crash mid-admit): moved to `claimed/` for re-admission. */
  orphanDataReadmitted: string[];
  /** Items whose content file is missing: moved to `failed` (or kept quarantined) with the reason. */
  missingContent: string[];
  /** Items whose metadata was unreadable: a placeholder in `failed`, the original kept in `corrupt/`. */
  corruptMeta: string[];
  /** Quarantined entries with no metadata (a crash mid-quarantine): their metadata was rebuilt. */
  recoveredEntries: string[];
  /** Temporary files and half-finished copies removed. */
  strayTmpRemoved: number;
  /** Delivery tombstones older than the retention, removed. */
  tombstonesPruned: number;
}

/** Temporary files of writeFileAtomic (`.<name>.<12 hex>.tmp`) left by a crash. */
const STRAY_TMP = new RegExp(`^\\..+\\.[0-9a-f]{12}\\${TMP_SUFFIX}$`);

/**
 * Brings the folders back to a consistent state after a crash at any instant. Each step of every
 * write path leaves a recognisable trace (see docs/queue.md); this turns each trace into the state
 * the interrupted operation was heading for, or back into one that is safe to redo. Nothing is
 * dropped silently: whatever can't be repaired ends up in `failed` with a reason. `onItem` gets
 * every item left in the queue, as it stands after its repair, one at a time.
 */
export async function recoverQueue(
  ctx: StoreContext,
  onItem: (meta: ItemMeta) => void,
  /** An entry where a metadata file belongs that is not a file (a folder) was set aside. */
  onSetAside?: (entry: SetAsideEntry) => void,
): Promise<RecoveryReport> {
  const { fs, layout } = ctx;
  const report: RecoveryReport = {
    claimed: [],
    requeuedFromActive: [],
    duplicatesResolved: [],
    deliveryFinished: [],
    orphanDataReadmitted: [],
    missingContent: [],
    corruptMeta: [],
    recoveredEntries: [],
    strayTmpRemoved: 0,
    tombstonesPruned: 0,
  };
  const stamp = (): string => new Date(ctx.now()).toISOString().replace(/[-:.]/g, '');

  // 1. Debris of interrupted writes: never the only copy of anything.
  for (const name of await readdirOrEmpty(fs, layout.tmpDir)) {
    await fs.rm(join(layout.tmpDir, name), { recursive: true, force: true });
    report.strayTmpRemoved++;
  }
  const tmpHomes = [
    layout.root,
    layout.deliveredDir,
    ...ITEM_STATES.map((s) => layout.stateDir(s)),
  ];
  for (const dir of tmpHomes) {
    for (const name of await readdirOrEmpty(fs, dir)) {
      if (STRAY_TMP.test(name) && (await ctx.unlink(join(dir, name)))) report.strayTmpRemoved++;
    }
  }
  // 2. claimed/: a `.partial` is a cross-volume copy whose source is still in the spool folder.
  for (const name of (await readdirOrEmpty(fs, layout.claimedDir)).sort()) {
    const path = join(layout.claimedDir, name);
    if (name.endsWith(`${CLAIMED_SUFFIX}.partial`)) {
      if (await ctx.unlink(path)) report.strayTmpRemoved++;
    } else report.claimed.push(path);
  }

  // 3. Every metadata copy, grouped by item: names first, then the files a chunk at a time.
  const listed = await listMetaFiles(ctx, ITEM_STATES);
  const [dataIds, entryIds, deliveredIds] = await Promise.all([
    readdirOrEmpty(fs, layout.dataDir).then((ns) => new Set(ns.filter(isSafeId))),
    readdirOrEmpty(fs, layout.entriesDir).then((ns) => new Set(ns.filter(isSafeId))),
    readdirOrEmpty(fs, layout.deliveredDir).then(
      (ns) => new Set(ns.flatMap((n) => idOfMetaName(n) ?? [])),
    ),
  ]);
  const repair = async ({ id, copies }: ScannedItem): Promise<ItemMeta | undefined> => {
    const found: typeof copies = [];
    for (const c of copies) {
      if (c.read.kind === 'unreadable') {
        // A folder named like a metadata file fails every read (EISDIR): set it aside, go on.
        const odd = await setAsideIfUnexpected(layout.root, layout.metaPath(c.state, id), { fs, now: ctx.now }); // prettier-ignore
        if (odd) {
          onSetAside?.(odd);
          continue;
        }
        // Only this process writes here now, so anything else is a real disk problem.
        throw c.read.error;
      }
      found.push(c);
    }
    // 4. One copy per item: the highest seq wins; unreadable copies are set aside, not deleted.
    const winner = winnerOf({ id, copies: found });
    const corruptReasons: string[] = [];
    for (const c of found) {
      if (c.read.kind === 'corrupt') {
        const kept = join(layout.corruptDir, `${id}.${c.state}.${stamp()}.json`);
        await ctx.rename(layout.metaPath(c.state, id), kept);
        corruptReasons.push(
          `${c.read.reason}; kept as corrupt/${kept.slice(layout.corruptDir.length + 1)}`,
        );
      } else if (c.read.kind === 'ok' && c.state !== winner?.state) {
        await ctx.unlink(layout.metaPath(c.state, id));
      }
    }
    if (found.length > 1) report.duplicatesResolved.push(id);
    const hasContent = dataIds.has(id) || entryIds.has(id);

    if (!winner) {
      if (corruptReasons.length === 0) return undefined; // every copy vanished meanwhile
      report.corruptMeta.push(id);
      const stand = placeholder(id, ctx.now(), hasContent, corruptReasons.join('; '));
      await ctx.writeMeta(stand);
      return stand;
    }
    // 5. A tombstone means the delivery happened: finish removing the item, never resend it.
    if (deliveredIds.has(id)) {
      await ctx.unlink(layout.metaPath(winner.state, id));
      await ctx.unlink(layout.dataPath(id));
      report.deliveryFinished.push(id);
      return undefined;
    }
    // 6. No content: nothing can be delivered; say so where a person will look.
    if (!hasContent) {
      report.missingContent.push(id);
      const lastError = {
        code: 'ContentMissing',
        message: `the content file data/${id} is missing (deleted by hand, or lost in a crash); the item cannot be delivered`,
      };
      if (winner.lastError?.code === 'ContentMissing') return winner;
      return ctx.save(
        { ...winner, lastError },
        winner.state === 'quarantined' ? 'quarantined' : 'failed',
      );
    }
    // 7. Interrupted mid-delivery: due again, and any group whose request may have gone out is
    // looked up in the saved-copy folder before it is sent again.
    if (winner.state === 'active') {
      const groups = { ...winner.groups };
      for (const g of Object.keys(groups) as (keyof typeof groups)[]) {
        const p = groups[g];
        if (p?.status === 'sending') groups[g] = { ...p, status: 'unclear' };
      }
      report.requeuedFromActive.push(id);
      return ctx.save({ ...winner, groups }, 'incoming');
    }
    return winner;
  };
  // Each item's files are all in one chunk and only that item's files are written while it is
  // repaired, so reading later chunks after earlier repairs sees nothing half done.
  await scanMeta(ctx, listed, async (items) => {
    for (const item of items) {
      const meta = await repair(item);
      if (meta) onItem(meta);
    }
  });

  // 8. Content with no metadata: a crash between the two steps of admit (re-admit it) or of
  // markDelivered (finish it).
  for (const id of dataIds) {
    if (listed.has(id)) continue;
    if (deliveredIds.has(id)) {
      await ctx.unlink(layout.dataPath(id));
      report.deliveryFinished.push(id);
      continue;
    }
    const to = join(layout.claimedDir, claimedName(`recovered-${id}`, ctx.now()));
    await ctx.rename(layout.dataPath(id), to);
    report.claimed.push(to);
    report.orphanDataReadmitted.push(id);
  }
  // 9. A quarantined entry whose metadata was never written.
  for (const id of entryIds) {
    if (listed.has(id)) continue;
    const st = await fs.lstat(layout.entryPath(id));
    const at = new Date(ctx.now()).toISOString();
    const reason = {
      code: 'RecoveredEntry',
      message: `found in quarantine-entries/ without its record after a crash; it was not read`,
    };
    const meta: ItemMeta = {
      ...emptyMeta(id, 'quarantined', at, st.size, '(unknown: recovered after a crash)'),
      quarantine: reason,
      lastError: reason,
    };
    await ctx.writeMeta(meta);
    report.recoveredEntries.push(id);
    onItem(meta);
  }
  return report;
}

function emptyMeta(
  id: string,
  state: ItemState,
  at: string,
  size: number,
  source: string,
): ItemMeta {
  return {
    version: 1,
    id,
    state,
    seq: 1,
    source,
    size,
    firstSeenAt: at,
    claimedAt: at,
    updatedAt: at,
    attempts: [],
    groups: {},
  };
}

/** Stands in for unreadable metadata so the item stays visible (and deletable) in `failed`. */
function placeholder(id: string, now: number, hasContent: boolean, why: string): ItemMeta {
  return {
    ...emptyMeta(
      id,
      'failed',
      new Date(now).toISOString(),
      0,
      '(unknown: metadata was unreadable)',
    ),
    lastError: {
      code: 'CorruptMetadata',
      message: `the item's metadata was unreadable (${why}); ${hasContent ? `its content is in data/${id}` : 'its content is missing too'}`,
    },
  };
}
