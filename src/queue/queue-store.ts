import { createHash } from 'node:crypto';
import type { StatementSync } from 'node:sqlite';
import { constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { UsageError } from '../errors/errors.js';
import { realFs, type FsLike } from '../platform/fs-seam.js';
import { renameWithRetry, type BusyRetryOptions } from '../platform/rename-retry.js';
import type { ParseResult } from '../item/spool-item.js';
import { importFileQueue, type ImportReport } from './import-file-queue.js';
import type { ItemMeta, ItemState } from './item-meta.js';
import { claimedName, queueLayout, type QueueLayout } from './queue-layout.js';
import { checkId, makeReadOps, type FinishedState } from './queue-read.js';
import { recoverStore, type RecoveryReport, type StartupItem } from './queue-recovery.js';
import { queryHistory, type HistoryQuery } from './history-query.js';
import { storageFailureName, type Database } from './sqlite/driver.js';
import { makeGroupCommit, type GroupCommit } from './sqlite/group-commit.js';
import { openWriter, type SetAside } from './sqlite/open-db.js';
import { openWalSync, type WalSync } from './sqlite/wal-sync.js';
import { prepareWrites, rowOf } from './sqlite/schema.js';
import { unlinkIfExists } from './unlink.js';
import { makeWaitingPage, type DueCursor, type WaitingRow } from './waiting-page.js';

export type { RecoveryReport, StartupItem } from './queue-recovery.js';
export type { FoundItem, ItemWhere, FinishedState } from './queue-read.js';
export type { HistoryQuery, HistoryEntry } from './history-query.js';
export type { DueCursor, WaitingRow } from './waiting-page.js';

/** What `admit` did with a claimed file. */
export type AdmitResult =
  | { kind: 'queued'; meta: ItemMeta }
  | { kind: 'duplicate'; id: string; existingState: ItemState | 'delivered' }
  | { kind: 'quarantined'; meta: ItemMeta };

/** What the caller knows about a claimed file after reading and parsing it. */
export interface AdmitInfo {
  /** Path of the spool file it came from. */
  source: string;
  firstSeenAt: string;
  size: number;
  /** Content ID (SHA-256 hex of the bytes), also when parsing failed. */
  id: string;
  parsed: ParseResult;
  /** The bytes as read (intake has them already); read from the claimed file when absent. */
  bytes?: Buffer;
}

/** Why an entry is quarantined without being read. */
export interface QuarantineEntryInfo {
  source: string;
  code: string;
  message: string;
  firstSeenAt: string;
}

/** Options of {@link makeQueueStore}. */
export interface QueueStoreOptions {
  /** `stateDir` from the config (made absolute). */
  stateDir: string;
  fs?: FsLike;
  clock?: Clock;
  /** How long items that left the queue stay in the history (config `history.retention`). */
  historyRetentionMs?: number;
  /** Retry of renames and unlinks while Windows reports a file as locked. */
  busyRetry?: BusyRetryOptions;
  /** Told after each commit how many writes it held (tests, metrics). */
  onCommit?: (writes: number) => void;
  /** Told when a commit failed, with the failure's name (`SQLITE_FULL`, `SQLITE_IOERR`...). */
  onCommitError?: (code: string) => void;
  /** Test seam: runs just before each COMMIT; throwing simulates a failing commit. */
  beforeCommit?: () => void;
}

/** Options of {@link QueueStore.open}. */
export interface OpenOptions {
  /** Called with every held item, after recovery (waiting items: {@link QueueStore.waitingPage}). */
  onItem?: (item: StartupItem) => void;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A failure of the queue database, named for the log and /healthz (`SQLITE_FULL`: the disk is
 * full; `SQLITE_IOERR`: the disk failed), with node:sqlite's error as its cause.
 */
function storageError(e: unknown): unknown {
  const name = storageFailureName(e);
  if (!name) return e;
  const err = new Error(`queue database: ${name}: ${(e as Error).message}`, { cause: e });
  (err as NodeJS.ErrnoException).code = name;
  return err;
}

/**
 * The durable queue: one SQLite database (`<stateDir>/queue.db`) with every item, its content and
 * its history. See docs/queue.md for the layout and the crash-safety argument.
 */
export function makeQueueStore(opts: QueueStoreOptions) {
  const fs = opts.fs ?? realFs;
  const clock = opts.clock ?? systemClock;
  const layout: QueueLayout = queueLayout(resolve(opts.stateDir));
  const busy = opts.busyRetry ?? {};
  const iso = () => new Date(clock.now()).toISOString();
  const retentionMs = opts.historyRetentionMs ?? 30 * DAY_MS;

  let conn:
    | {
        db: Database;
        commit: GroupCommit;
        walSync: WalSync | undefined;
        w: ReturnType<typeof prepareWrites>;
        read: ReturnType<typeof makeReadOps>;
        waiting: ReturnType<typeof makeWaitingPage>;
        setAside: SetAside[];
        state: StatementSync;
      }
    | undefined;

  /** Set by open(): the daemon's connection checks and sets aside; a command's does not. */
  let repair = false;
  /** The daemon's (or a command's) connection, opened on first use. */
  const c = () => {
    if (!conn) {
      const { db, setAside } = openWriter(layout, clock.now(), { repair });
      // The group commit's fsync runs off the main thread (see makeGroupCommit).
      const walSync = openWalSync(`${layout.dbPath}-wal`);
      conn = {
        db,
        walSync,
        commit: makeGroupCommit(db, {
          ...(opts.onCommit ? { onCommit: opts.onCommit } : {}),
          ...(opts.beforeCommit ? { beforeCommit: opts.beforeCommit } : {}),
          ...(walSync ? { walSync } : {}),
        }),
        w: prepareWrites(db),
        read: makeReadOps(db, layout),
        waiting: makeWaitingPage(db),
        setAside,
        state: db.prepare('SELECT state, finished_at FROM items WHERE id = ?'),
      };
    }
    return conn;
  };
  const write = <T>(fn: () => T): Promise<T> =>
    c()
      .commit.write(fn)
      .catch((e: unknown) => {
        const err = storageError(e);
        const code = (err as NodeJS.ErrnoException).code;
        if (code?.startsWith('SQLITE_')) opts.onCommitError?.(code);
        throw err;
      });
  const where = (id: string) =>
    c().state.get(id) as
      { state: ItemState | FinishedState; finished_at: string | null } | undefined;
  const unlink = (path: string) => unlinkIfExists(fs, path, busy);

  const checkClaimed = (claimedPath: string): void => {
    if (dirname(resolve(claimedPath)) !== layout.claimedDir) {
      throw new Error(`not a path in ${layout.claimedDir}: ${claimedPath}`);
    }
  };

  const newMeta = (
    id: string,
    state: ItemState,
    info: { source: string; firstSeenAt: string; size: number },
  ): ItemMeta => {
    const now = iso();
    return {
      version: 1,
      id,
      state,
      seq: 1,
      source: info.source,
      size: info.size,
      firstSeenAt: info.firstSeenAt,
      claimedAt: now,
      updatedAt: now,
      attempts: [],
      groups: {},
    };
  };

  const readClaimed = async (path: string): Promise<Buffer> => {
    const handle = await fs.open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  };

  /**
   * Takes a claimed, already read and parsed file into the queue (or the quarantine): its
   * metadata and bytes go into the database in one transaction, and only once that is committed
   * is the claimed file removed. A crash in between leaves the file in `claimed/`; the next start
   * admits it again and finds it a duplicate.
   */
  const admit = async (claimedPath: string, info: AdmitInfo): Promise<AdmitResult> => {
    checkClaimed(claimedPath);
    checkId(info.id);
    const { id, parsed } = info;
    const bytes = info.bytes ?? (await readClaimed(claimedPath));
    let meta: ItemMeta;
    if (parsed.ok) {
      const it = parsed.item;
      meta = {
        ...newMeta(id, 'incoming', info),
        format: it.format,
        kind: it.kind,
        envelope: {
          from: it.from,
          to: it.to,
          cc: it.cc,
          ...(it.subject !== undefined ? { subject: it.subject } : {}),
        },
      };
    } else {
      const reason = { code: parsed.code, message: parsed.message };
      meta = {
        ...newMeta(id, 'quarantined', info),
        ...(parsed.format ? { format: parsed.format } : {}),
        quarantine: reason,
        lastError: reason,
      };
    }
    const { w } = c();
    // Checked inside the transaction: two copies admitted in one batch are one item.
    const res = await write((): AdmitResult => {
      const found = where(id);
      // A deleted item's content dropped again is queued again (the operator removed the item,
      // the client spooled it anew); a delivered one is a duplicate for history.retention.
      if (found && found.state !== 'deleted') {
        return {
          kind: 'duplicate',
          id,
          existingState: found.state === 'delivered' ? 'delivered' : (found.state as ItemState),
        };
      }
      w.upsert.run(rowOf(meta));
      w.putContent.run(id, bytes);
      return meta.state === 'quarantined'
        ? { kind: 'quarantined', meta }
        : { kind: 'queued', meta };
    });
    await unlink(claimedPath);
    return res;
  };

  /** Quarantines a claimed entry that must not be read (link, FIFO, hard link, too large). */
  const quarantineEntry = async (
    claimedPath: string,
    info: QuarantineEntryInfo,
  ): Promise<ItemMeta> => {
    checkClaimed(claimedPath);
    // Nothing was read, so there is no content hash: name it after where and when it was found.
    const id = createHash('sha256')
      .update(`${info.source}\n${info.firstSeenAt}\n${basename(claimedPath)}`)
      .digest('hex');
    const st = await fs.lstat(claimedPath);
    // rename moves a symbolic link itself, never its target. A crash before the row is
    // committed leaves the entry alone in quarantine-entries/: open() writes its row then.
    await renameWithRetry(fs, claimedPath, layout.entryPath(id), busy);
    const reason = { code: info.code, message: info.message };
    const meta: ItemMeta = {
      ...newMeta(id, 'quarantined', { ...info, size: st.size }),
      quarantine: reason,
      lastError: reason,
    };
    const { w } = c();
    await write(() => w.upsert.run(rowOf(meta)));
    return meta;
  };

  /**
   * Writes the metadata (seq + 1, updatedAt now), moving it to `toState` when given; resolves
   * with the written copy once it is committed. `meta.state` must be where the item is now.
   */
  const save = async (meta: ItemMeta, toState?: ItemState): Promise<ItemMeta> => {
    checkId(meta.id);
    const next: ItemMeta = {
      ...meta,
      state: toState ?? meta.state,
      seq: meta.seq + 1,
      updatedAt: iso(),
    };
    const { w } = c();
    await write(() => {
      // Never bring back an item that left the queue (delivered or deleted meanwhile).
      const found = where(meta.id);
      if (found?.finished_at) {
        throw new UsageError(`item ${meta.id.slice(0, 12)} was ${found.state} meanwhile`);
      }
      w.upsert.run(rowOf(next));
    });
    return next;
  };

  /** The item leaves the queue delivered: into the history, its content removed, in one commit. */
  const markDelivered = async (meta: ItemMeta): Promise<void> => {
    checkId(meta.id);
    const at = iso();
    const final: ItemMeta = { ...meta, seq: meta.seq + 1, updatedAt: at };
    const { w } = c();
    await write(() => {
      w.upsert.run(rowOf(final, 'delivered', at));
      w.dropContent.run(meta.id);
    });
  };

  /** Deletes an item for good (it stays in the history as `deleted`); returns what it was. */
  const remove = async (id: string): Promise<ItemMeta> => {
    const meta = await c().read.get(id);
    if (!meta) throw new UsageError(`no item with ID ${id} in the queue`);
    const at = iso();
    const { w } = c();
    await write(() => {
      w.upsert.run(rowOf({ ...meta, seq: meta.seq + 1, updatedAt: at }, 'deleted', at));
      w.dropContent.run(id);
    });
    // After the commit: a crash before this leaves an entry whose row is finished; open()
    // removes it then.
    await unlink(layout.entryPath(id));
    return meta;
  };

  /** Removes history rows that left the queue more than `olderThanMs` ago; returns how many. */
  const pruneHistory = async (olderThanMs: number = retentionMs): Promise<number> => {
    const cutoff = new Date(clock.now() - olderThanMs).toISOString();
    const { db } = c();
    return write(() =>
      Number(
        db
          .prepare('DELETE FROM items WHERE finished_at IS NOT NULL AND finished_at < ?')
          .run(cutoff).changes,
      ),
    );
  };

  /**
   * Opens the database for the daemon (setting aside anything odd or damaged), imports a file
   * queue of 0.1.0 if one is there, and repairs what a stop or crash left half done. Once, first.
   */
  const open = async (openOpts: OpenOptions = {}): Promise<RecoveryReport> => {
    repair = true;
    const { db, w, setAside } = c();
    const imported: ImportReport | undefined = await importFileQueue({
      db,
      w,
      layout,
      fs,
      clock,
      busy,
      onSetAside: (e) => setAside.push(e),
    });
    const report = await recoverStore({ db, w, layout, fs, now: clock.now, unlink });
    report.setAside = setAside;
    if (imported) report.imported = imported;
    report.historyPruned = await pruneHistory(retentionMs);
    if (openOpts.onItem) {
      // Held items only: those waiting for delivery are read a page at a time (waitingPage), so
      // the daemon never holds every ID of a big queue. Held items are few (an operator's or the
      // policy's), and their JSON is read for `heldBy` only here.
      const rows = db
        .prepare(
          `SELECT id, state, first_seen_at, next_attempt_at, json_extract(meta, '$.heldBy') AS held_by
           FROM items WHERE state = 'held'`,
        )
        .iterate() as Iterable<{
        id: string;
        state: 'held';
        first_seen_at: string;
        next_attempt_at: string | null;
        held_by: StartupItem['heldBy'] | null;
      }>;
      for (const r of rows) {
        const item: StartupItem = { id: r.id, state: r.state, firstSeenAt: r.first_seen_at };
        if (r.next_attempt_at) item.nextAttemptAt = r.next_attempt_at;
        if (r.held_by) item.heldBy = r.held_by;
        openOpts.onItem(item);
      }
    }
    return report;
  };

  /** Commits what is pending and closes the database. */
  const close = async (): Promise<void> => {
    const cur = conn;
    if (!cur) return;
    // Writes already committed are told "done" once their fdatasync is back.
    await cur.commit.flush();
    if (conn !== cur) return;
    conn = undefined;
    cur.walSync?.close();
    cur.db.close();
  };

  const readOp =
    <K extends keyof ReturnType<typeof makeReadOps>>(k: K) =>
    (...a: Parameters<ReturnType<typeof makeReadOps>[K]>) =>
      (c().read[k] as (...x: unknown[]) => ReturnType<ReturnType<typeof makeReadOps>[K]>)(...a);

  return {
    layout,
    open,
    close,
    claimPath: (sourceFileName: string) =>
      join(layout.claimedDir, claimedName(sourceFileName, clock.now())),
    admit,
    quarantineEntry,
    save,
    markDelivered,
    remove,
    pruneHistory,
    /** A page of the items waiting for delivery, in due order (waiting-page.ts). */
    waitingPage: (after: DueCursor | undefined, limit: number): WaitingRow[] =>
      c().waiting(after, limit),
    get: readOp('get'),
    find: readOp('find'),
    list: readOp('list'),
    forEach: readOp('forEach'),
    first: readOp('first'),
    resolveId: readOp('resolveId'),
    readContent: readOp('readContent'),
    hasContent: readOp('hasContent'),
    stats: readOp('stats'),
    oldestWaiting: readOp('oldestWaiting'),
    history: (q: HistoryQuery) => queryHistory(c().db, q),
  };
}

/** The durable queue the daemon and the operator commands write to. */
export type QueueStore = ReturnType<typeof makeQueueStore>;
