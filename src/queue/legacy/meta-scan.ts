import { errnoCode } from '../../platform/errno.js';
import { ITEM_STATES, type ItemMeta, type ItemState } from '../item-meta.js';
import { newest, parseMeta, readdirOrEmpty, readTexts, type MetaRead } from './meta-io.js';
import { idOfMetaName } from './queue-layout.js';
import type { StoreContext } from './store-context.js';

/** One metadata file as scanned: as readMeta sees it, or an error other than "gone" (EACCES, EIO). */
export type ScannedCopy = {
  state: ItemState;
  read: MetaRead | { kind: 'unreadable'; error: Error };
};

/** Every metadata file of one item: normally one, two after a crash mid-move. */
export interface ScannedItem {
  id: string;
  copies: ScannedCopy[];
}

/** Items read and handed over at once: big enough to amortise the yields, small to hold. */
const CHUNK_ITEMS = 256;

/**
 * The items in the given states from folder listings only: ID → the states whose folder holds
 * `<id>.json`, one bit per index in ITEM_STATES (a number per item rather than a list of states).
 */
export async function listMetaFiles(
  ctx: Pick<StoreContext, 'fs' | 'layout'>,
  states: readonly ItemState[],
): Promise<Map<string, number>> {
  const names = await Promise.all(
    states.map((state) => readdirOrEmpty(ctx.fs, ctx.layout.stateDir(state))),
  );
  const found = new Map<string, number>();
  states.forEach((state, i) => {
    const bit = 1 << ITEM_STATES.indexOf(state);
    for (const name of names[i] ?? []) {
      const id = idOfMetaName(name);
      if (id) found.set(id, (found.get(id) ?? 0) | bit);
    }
  });
  return found;
}

/**
 * Reads the metadata of the listed items a chunk at a time and hands each chunk to `visit` before
 * reading the next, so a caller keeps only what it needs of each item: at 100,000 items, every
 * file and parsed object held at once took hundreds of MB and much of the CPU in garbage
 * collection. All copies of an item are in the same chunk.
 */
export async function scanMeta(
  ctx: Pick<StoreContext, 'fs' | 'layout' | 'concurrency'>,
  listing: ReadonlyMap<string, number>,
  visit: (items: ScannedItem[]) => void | Promise<void>,
): Promise<void> {
  const { fs, layout } = ctx;
  let chunk: { id: string; state: ItemState }[] = [];
  const flush = async (): Promise<void> => {
    const paths = chunk.map((c) => layout.metaPath(c.state, c.id));
    const texts = await readTexts(fs, paths);
    const items: ScannedItem[] = [];
    for (const [i, { id, state }] of chunk.entries()) {
      const text = texts[i] as string | Error;
      let read: ScannedCopy['read'];
      if (typeof text === 'string') {
        read = parseMeta(text, id, state);
        // Read again in full before calling it corrupt: readTextSync takes a short read for
        // the end of the file, and a file called corrupt is set aside by open().
        if (read.kind === 'corrupt') read = await readOnce(ctx, paths[i] as string, id, state);
      } else if (errnoCode(text) === 'ENOENT') read = { kind: 'missing' };
      else read = { kind: 'unreadable', error: text };
      const last = items[items.length - 1];
      if (last?.id === id) last.copies.push({ state, read });
      else items.push({ id, copies: [{ state, read }] });
    }
    chunk = [];
    await visit(items);
  };
  for (const [id, bits] of listing) {
    for (const [i, state] of ITEM_STATES.entries()) if (bits & (1 << i)) chunk.push({ id, state });
    if (chunk.length >= CHUNK_ITEMS) await flush();
  }
  if (chunk.length > 0) await flush();
}

async function readOnce(
  ctx: Pick<StoreContext, 'fs'>,
  path: string,
  id: string,
  state: ItemState,
): Promise<ScannedCopy['read']> {
  try {
    return parseMeta(await ctx.fs.readFile(path), id, state);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', error: e instanceof Error ? e : new Error(String(e)) };
  }
}

/** The copy of a scanned item that counts (see {@link newest}), or undefined. */
export const winnerOf = (item: ScannedItem): ItemMeta | undefined =>
  newest(item.copies.map((c) => c.read));
