import { join, sep } from 'node:path';
import { ITEM_STATES, type ItemState } from '../item-meta.js';

/**
 * Where everything lives under `<stateDir>`. One place, so docs/queue.md and the code can't drift
 * and no other module builds a queue path by hand.
 */
export interface QueueLayout {
  root: string;
  /** `queue/<state>/`: one `<id>.json` per item; the folder is the item's state. */
  stateDir(state: ItemState): string;
  metaPath(state: ItemState, id: string): string;
  /** `data/`: the raw spool bytes, named by content hash, written once. */
  dataDir: string;
  dataPath(id: string): string;
  /** `quarantine-entries/`: entries quarantined without being read (links, FIFOs, too large). */
  entriesDir: string;
  entryPath(id: string): string;
  /** `claimed/`: taken out of a spool folder, not yet admitted. */
  claimedDir: string;
  /** `delivered/`: one small tombstone per delivered item, so a re-dropped copy is not resent. */
  deliveredDir: string;
  tombstonePath(id: string): string;
  /** `tmp/`: temporary files of atomic writes; anything here at start-up is debris. */
  tmpDir: string;
  /** `corrupt/`: unreadable metadata files, kept for a person to look at. */
  corruptDir: string;
  /** Every folder the store needs, for `open()`. */
  allDirs(): string[];
}

export function queueLayout(root: string): QueueLayout {
  const q = join(root, 'queue');
  const dataDir = join(root, 'data');
  const entriesDir = join(root, 'quarantine-entries');
  const deliveredDir = join(root, 'delivered');
  // Joined once: path.join per file is a visible cost when listing 100,000 items.
  const stateDirs = Object.fromEntries(ITEM_STATES.map((s) => [s, join(q, s)])) as Record<
    ItemState,
    string
  >;
  const layout: QueueLayout = {
    root,
    stateDir: (state) => stateDirs[state],
    metaPath: (state, id) => `${stateDirs[state]}${sep}${id}.json`,
    dataDir,
    dataPath: (id) => join(dataDir, id),
    entriesDir,
    entryPath: (id) => join(entriesDir, id),
    claimedDir: join(root, 'claimed'),
    deliveredDir,
    tombstonePath: (id) => join(deliveredDir, `${id}.json`),
    tmpDir: join(root, 'tmp'),
    corruptDir: join(root, 'corrupt'),
    allDirs: () => [
      ...ITEM_STATES.map((s) => join(q, s)),
      dataDir,
      entriesDir,
      layout.claimedDir,
      deliveredDir,
      layout.tmpDir,
      layout.corruptDir,
    ],
  };
  return layout;
}

/**
 * What may appear in a file name built from an ID. Every ID the store makes is 64 hex characters
 * (SHA-256); accepting 8 to 64 lets a prefix through but never a separator, a dot or `..`.
 */
const SAFE_ID = /^[0-9a-f]{8,64}$/;
export const isSafeId = (s: string): boolean => SAFE_ID.test(s);

/** The ID in a metadata or tombstone file name (`<id>.json`), or undefined for anything else. */
export function idOfMetaName(name: string): string | undefined {
  if (!name.endsWith('.json')) return undefined;
  const id = name.slice(0, -5);
  return isSafeId(id) ? id : undefined;
}

// The `claimed/` names are the same in both stores: one definition, in the current layout.
export { CLAIMED_SUFFIX, claimedName, sourceNameOfClaimed } from '../queue-layout.js';
