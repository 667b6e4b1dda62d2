import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import type { ParseResult } from '../../item/spool-item.js';
import { syncDir } from '../atomic-write.js';
import { ITEM_STATES, type ItemMeta, type ItemState } from '../item-meta.js';
import { existsNoFollow } from './meta-io.js';
import type { StoreContext } from './store-context.js';

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
}

/** Why an entry is quarantined without being read. */
export interface QuarantineEntryInfo {
  source: string;
  code: string;
  message: string;
  firstSeenAt: string;
}

/** Intake side of the store: claimed files become queued or quarantined items. */
export function makeAdmitOps(ctx: StoreContext, checkId: (id: string) => void) {
  const { fs, layout } = ctx;

  const checkClaimed = (claimedPath: string): void => {
    if (dirname(resolve(claimedPath)) !== layout.claimedDir) {
      throw new Error(`not a path in ${layout.claimedDir}: ${claimedPath}`);
    }
  };

  /** Where an ID already is: a queue state, delivered, or nowhere. */
  const whereIs = async (id: string): Promise<ItemState | 'delivered' | undefined> => {
    const found = await Promise.all(
      ITEM_STATES.map(async (s) =>
        (await existsNoFollow(fs, layout.metaPath(s, id))) ? s : undefined,
      ),
    );
    return (
      found.find((s) => s !== undefined) ??
      ((await existsNoFollow(fs, layout.tombstonePath(id))) ? 'delivered' : undefined)
    );
  };

  const newMeta = (
    id: string,
    state: ItemState,
    info: { source: string; firstSeenAt: string; size: number },
  ): ItemMeta => {
    const now = ctx.iso();
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

  const admit = async (claimedPath: string, info: AdmitInfo): Promise<AdmitResult> => {
    checkClaimed(claimedPath);
    checkId(info.id);
    const { id, parsed } = info;
    const existingState = await whereIs(id);
    if (existingState) {
      await ctx.unlink(claimedPath);
      return { kind: 'duplicate', id, existingState };
    }
    // Step 1: the bytes. Content-addressed, so bytes already there (a crash after this step
    // last time) are these very bytes and are kept, not rewritten.
    const dataPath = layout.dataPath(id);
    if (await existsNoFollow(fs, dataPath)) await ctx.unlink(claimedPath);
    else await ctx.rename(claimedPath, dataPath);
    // The client wrote it with its own permissions; the queue's files are private.
    await fs.chmod(dataPath, 0o600).catch(() => undefined);
    await syncDir(fs, layout.dataDir);
    // Step 2: the metadata. Until it exists, open() finds the bytes alone and re-admits them.
    if (parsed.ok) {
      const it = parsed.item;
      const meta: ItemMeta = {
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
      await ctx.writeMeta(meta);
      return { kind: 'queued', meta };
    }
    const reason = { code: parsed.code, message: parsed.message };
    const meta: ItemMeta = {
      ...newMeta(id, 'quarantined', info),
      ...(parsed.format ? { format: parsed.format } : {}),
      quarantine: reason,
      lastError: reason,
    };
    await ctx.writeMeta(meta);
    return { kind: 'quarantined', meta };
  };

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
    // rename moves a symbolic link itself, never its target.
    await ctx.rename(claimedPath, layout.entryPath(id));
    await syncDir(fs, layout.entriesDir);
    const reason = { code: info.code, message: info.message };
    const meta: ItemMeta = {
      ...newMeta(id, 'quarantined', { ...info, size: st.size }),
      quarantine: reason,
      lastError: reason,
    };
    await ctx.writeMeta(meta);
    return meta;
  };

  return { admit, quarantineEntry };
}
