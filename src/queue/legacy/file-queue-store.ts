import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '../../clock.js';
import { UsageError } from '../../errors/errors.js';
import { realFs, type FsLike } from '../../platform/fs-seam.js';
import { errnoCode } from '../../platform/errno.js';
import { renameWithRetry, type BusyRetryOptions } from '../../platform/rename-retry.js';
import { writeFileAtomic } from '../atomic-write.js';
import { ITEM_STATES, type GroupName, type ItemMeta, type ItemState } from '../item-meta.js';
import { metaJson, readdirOrEmpty, unlinkIfExists } from './meta-io.js';
import { mapPool } from './pool.js';
import {
  makeAdmitOps,
  type AdmitInfo,
  type AdmitResult,
  type QuarantineEntryInfo,
} from './queue-admit.js';
import { claimedName, idOfMetaName, queueLayout, type QueueLayout } from './queue-layout.js';
import { checkId, makeReadOps } from './queue-read.js';
import { recoverQueue, type RecoveryReport } from './queue-recovery.js';
import type { StoreContext } from './store-context.js';

export type { AdmitInfo, AdmitResult, QuarantineEntryInfo } from './queue-admit.js';
export type { RecoveryReport } from './queue-recovery.js';

/** Options of {@link makeQueueStore}. */
export interface QueueStoreOptions {
  /** `stateDir` from the config (made absolute). */
  stateDir: string;
  fs?: FsLike;
  clock?: Clock;
  /** How long delivered tombstones are kept (default 30 days); pruned at every `open()`. */
  deliveredRetentionMs?: number;
  /** Files read at once by `list()` and recovery (default 64). */
  readConcurrency?: number;
  /** Retry of renames and unlinks while Windows reports a file as locked. */
  busyRetry?: BusyRetryOptions;
}

/** Options of {@link QueueStore.open}. */
export interface OpenOptions {
  /** Called with every item in the queue after recovery (any state), one at a time. */
  onItem?: (meta: ItemMeta) => void;
}

/** The small record left in `delivered/` when an item leaves the queue delivered. */
export interface DeliveredTombstone {
  version: 1;
  id: string;
  deliveredAt: string;
  source: string;
  size: number;
  firstSeenAt: string;
  attempts: number;
  groups: Partial<Record<GroupName, { sentAt?: string }>>;
}

/** The file queue of 0.1.0 (see docs/queue.md of that version). Kept to import such a state folder, and for tests to write one. */
export interface QueueStore {
  readonly layout: QueueLayout;
  /**
   * Creates the folders and repairs what a crash left half done. Daemon only, once, first.
   * `onItem` sees each item left in the queue as recovery read (and perhaps repaired) it, one at
   * a time: the daemon keeps what it schedules from there instead of reading the queue again.
   */
  open(opts?: OpenOptions): Promise<RecoveryReport>;
  /** A fresh path in `claimed/` to move a spool file to. */
  claimPath(sourceFileName: string): string;
  /** Takes a claimed, already read and parsed file into the queue (or the quarantine). */
  admit(claimedPath: string, info: AdmitInfo): Promise<AdmitResult>;
  /** Quarantines a claimed entry that must not be read (link, FIFO, hard link, too large). */
  quarantineEntry(claimedPath: string, info: QuarantineEntryInfo): Promise<ItemMeta>;
  /** Every item in the given states (default all), oldest first. */
  list(states?: readonly ItemState[]): Promise<ItemMeta[]>;
  /**
   * Every item in the given states, in no particular order, without holding them all at once:
   * for callers that keep a little of each item (status at 100,000 items).
   */
  forEach(states: readonly ItemState[], visit: (meta: ItemMeta) => void): Promise<void>;
  /** One item by full ID, or undefined when it is not (or no longer) in the queue. */
  get(id: string): Promise<ItemMeta | undefined>;
  /** A full ID from a unique prefix of at least 8 hex characters; UsageError otherwise. */
  resolveId(prefixOrId: string): Promise<string>;
  /** The raw spool bytes of an item. */
  readContent(id: string): Promise<Buffer>;
  /**
   * Writes the metadata (seq + 1, updatedAt now), moving it to `toState` when given; returns the
   * written copy. `meta.state` must be where the item is now: change state only through `toState`.
   */
  save(meta: ItemMeta, toState?: ItemState): Promise<ItemMeta>;
  /** Leaves a tombstone, then removes the item's metadata and content. */
  markDelivered(meta: ItemMeta): Promise<void>;
  /** Deletes an item for good (metadata and content); returns what it was. */
  remove(id: string): Promise<ItemMeta>;
  /** Removes tombstones older than this; returns how many. */
  pruneDelivered(olderThanMs: number): Promise<number>;
  /** Number of items per state, from folder listings only. */
  stats(): Promise<Record<ItemState, number>>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What the parts of the 0.1.0 store share. Also used by the import (import-file-queue.ts), which
 * runs the 0.1.0 recovery on the old folders before it reads them.
 */
export function makeLegacyContext(o: {
  fs: FsLike;
  clock: Clock;
  layout: QueueLayout;
  busy: BusyRetryOptions;
  concurrency?: number | undefined;
}): StoreContext {
  const { fs, clock, layout, busy } = o;
  const ctx: StoreContext = {
    fs,
    layout,
    now: () => clock.now(),
    iso: () => new Date(clock.now()).toISOString(),
    concurrency: o.concurrency ?? 64,
    unlink: (path) => unlinkIfExists(fs, path, busy),
    rename: (from, to) => renameWithRetry(fs, from, to, busy),
    writeMeta: (meta) =>
      writeFileAtomic(fs, layout.metaPath(meta.state, meta.id), metaJson(meta), {
        tmpDir: layout.tmpDir,
        retry: busy,
      }),
    save: async (meta, toState) => {
      checkId(meta.id);
      const from = meta.state;
      const next: ItemMeta = {
        ...meta,
        state: toState ?? from,
        seq: meta.seq + 1,
        updatedAt: ctx.iso(),
      };
      // New copy first, old one after: a crash in between leaves two copies, and open() keeps
      // the higher seq. The other order could leave none.
      await ctx.writeMeta(next);
      if (next.state !== from) await ctx.unlink(layout.metaPath(from, meta.id));
      return next;
    },
  };
  return ctx;
}

export function makeQueueStore(opts: QueueStoreOptions): QueueStore {
  const fs = opts.fs ?? realFs;
  const clock = opts.clock ?? systemClock;
  const layout = queueLayout(resolve(opts.stateDir));
  const busy = opts.busyRetry ?? {};

  const ctx = makeLegacyContext({ fs, clock, layout, busy, concurrency: opts.readConcurrency });
  const read = makeReadOps(ctx);
  const { admit, quarantineEntry } = makeAdmitOps(ctx, checkId);

  const markDelivered = async (meta: ItemMeta): Promise<void> => {
    checkId(meta.id);
    const groups: DeliveredTombstone['groups'] = {};
    for (const [g, p] of Object.entries(meta.groups) as [GroupName, { sentAt?: string }][]) {
      groups[g] = p.sentAt !== undefined ? { sentAt: p.sentAt } : {};
    }
    const tomb: DeliveredTombstone = {
      version: 1,
      id: meta.id,
      deliveredAt: ctx.iso(),
      source: meta.source,
      size: meta.size,
      firstSeenAt: meta.firstSeenAt,
      attempts: meta.attempts.length,
      groups,
    };
    // Tombstone first: from then on the item counts as delivered, even if a crash stops us
    // before the metadata is gone (open() then finishes the job instead of sending again).
    await writeFileAtomic(fs, layout.tombstonePath(meta.id), metaJson(tomb), {
      tmpDir: layout.tmpDir,
      retry: busy,
    });
    await ctx.unlink(layout.metaPath(meta.state, meta.id));
    await ctx.unlink(layout.dataPath(meta.id));
  };

  const remove = async (id: string): Promise<ItemMeta> => {
    const meta = await read.get(id);
    if (!meta) throw new UsageError(`no item with ID ${id} in the queue`);
    // Content first: a crash in between leaves metadata without content, which open() shows as
    // failed. The other order would leave bytes alone, which open() would queue again.
    await ctx.unlink(layout.dataPath(id));
    await ctx.unlink(layout.entryPath(id));
    for (const s of ITEM_STATES) await ctx.unlink(layout.metaPath(s, id));
    return meta;
  };

  const pruneDelivered = async (olderThanMs: number): Promise<number> => {
    const cutoff = clock.now() - olderThanMs;
    const ids = (await readdirOrEmpty(fs, layout.deliveredDir)).flatMap(
      (n) => idOfMetaName(n) ?? [],
    );
    const removed = await mapPool(ids, ctx.concurrency, async (id) => {
      const path = layout.tombstonePath(id);
      let at = NaN;
      try {
        const t = JSON.parse(
          (await fs.readFile(path)).toString('utf8'),
        ) as Partial<DeliveredTombstone>;
        at = Date.parse(t.deliveredAt ?? '');
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') return false;
      }
      // An unreadable tombstone still ages, by its file time.
      if (!Number.isFinite(at)) at = (await fs.stat(path).catch(() => undefined))?.mtimeMs ?? 0;
      return at < cutoff ? ctx.unlink(path) : false;
    });
    return removed.filter(Boolean).length;
  };

  const open = async (openOpts: OpenOptions = {}): Promise<RecoveryReport> => {
    for (const dir of [layout.root, ...layout.allDirs()]) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    }
    const report = await recoverQueue(ctx, openOpts.onItem ?? (() => {}));
    report.tombstonesPruned = await pruneDelivered(opts.deliveredRetentionMs ?? 30 * DAY_MS);
    return report;
  };

  return {
    layout,
    open,
    claimPath: (sourceFileName) =>
      join(layout.claimedDir, claimedName(sourceFileName, clock.now())),
    admit,
    quarantineEntry,
    ...read,
    save: ctx.save,
    markDelivered,
    remove,
    pruneDelivered,
  };
}
