import { constants } from 'node:fs';
import { UsageError } from '../../errors/errors.js';
import { errnoCode } from '../../platform/errno.js';
import { ITEM_STATES, type ItemMeta, type ItemState } from '../item-meta.js';
import { existsNoFollow, newest, readdirOrEmpty, readMeta } from './meta-io.js';
import { listMetaFiles, scanMeta, winnerOf } from './meta-scan.js';
import { idOfMetaName, isSafeId } from './queue-layout.js';
import type { StoreContext } from './store-context.js';

/** Throws a UsageError unless `id` is safe to put in a file name (8-64 lowercase hex). */
export function checkId(id: string): void {
  if (!isSafeId(id))
    throw new UsageError(`not an item ID: ${JSON.stringify(String(id).slice(0, 80))}`);
}

/** Read side of the store. Never writes, so `status` and `show` may use it while the daemon runs. */
export function makeReadOps(ctx: StoreContext) {
  const { fs, layout } = ctx;

  const get = async (id: string): Promise<ItemMeta | undefined> => {
    checkId(id);
    return newest(
      await Promise.all(ITEM_STATES.map((s) => readMeta(fs, layout.metaPath(s, id), id, s))),
    );
  };

  const forEach = async (
    states: readonly ItemState[],
    visit: (meta: ItemMeta) => void,
  ): Promise<void> => {
    await scanMeta(ctx, await listMetaFiles(ctx, states), (items) => {
      for (const item of items) {
        // Vanished (delivered or moved meanwhile) or unreadable: skip; open() repairs the latter.
        const meta = winnerOf(item);
        if (meta) visit(meta);
      }
    });
  };

  const list = async (states: readonly ItemState[] = ITEM_STATES): Promise<ItemMeta[]> => {
    const all: ItemMeta[] = [];
    await forEach(states, (m) => all.push(m));
    // Plain code-unit order: ISO timestamps and hex IDs sort correctly without localeCompare,
    // which is far slower at 100,000 items.
    const key = (m: ItemMeta): string => `${m.firstSeenAt}\u0000${m.id}`;
    return all
      .map((m) => ({ m, k: key(m) }))
      .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
      .map((x) => x.m);
  };

  const resolveId = async (prefixOrId: string): Promise<string> => {
    const p = String(prefixOrId).trim().toLowerCase();
    if (!isSafeId(p)) {
      throw new UsageError(
        `${JSON.stringify(String(prefixOrId).slice(0, 80))} is not an item ID: give at least 8 of its hex characters (0-9, a-f)`,
      );
    }
    // Folder listings only: no file is opened to resolve a prefix.
    const listed = await listMetaFiles(ctx, ITEM_STATES);
    const ids = [...listed.keys()].filter((id) => id.startsWith(p)).sort();
    if (ids.length === 1) return ids[0] as string;
    if (ids.length > 1) {
      const shown = ids.slice(0, 5).map((id) => id.slice(0, Math.max(16, p.length + 4)));
      throw new UsageError(
        `ID prefix ${p} is ambiguous: it matches ${ids.length} items (${shown.join(', ')}${ids.length > 5 ? ', …' : ''}); give more characters`,
      );
    }
    const delivered = (await readdirOrEmpty(fs, layout.deliveredDir)).some((n) =>
      idOfMetaName(n)?.startsWith(p),
    );
    throw new UsageError(
      delivered
        ? `item ${p} was delivered and is no longer in the queue`
        : `no item with ID ${p} in the queue`,
    );
  };

  const readContent = async (id: string): Promise<Buffer> => {
    checkId(id);
    let handle;
    try {
      // O_NOFOLLOW: content is read from data/ only, and never through a link planted there.
      handle = await fs.open(layout.dataPath(id), constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
      throw new Error(
        (await existsNoFollow(fs, layout.entryPath(id)))
          ? `item ${id} was quarantined without being read (not a regular file, or too large); its content is never read`
          : `the content file of item ${id} is missing (${layout.dataPath(id)})`,
        { cause: e },
      );
    }
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  };

  const stats = async (): Promise<Record<ItemState, number>> => {
    const counts = await Promise.all(
      ITEM_STATES.map(
        async (s) =>
          (await readdirOrEmpty(fs, layout.stateDir(s))).filter((n) => idOfMetaName(n)).length,
      ),
    );
    return Object.fromEntries(ITEM_STATES.map((s, i) => [s, counts[i] ?? 0])) as Record<
      ItemState,
      number
    >;
  };

  return { get, list, forEach, resolveId, readContent, stats };
}
