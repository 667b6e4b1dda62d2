import type { FsLike } from '../../platform/fs-seam.js';
import type { ItemMeta, ItemState } from '../item-meta.js';
import type { QueueLayout } from './queue-layout.js';

/** What the parts of the queue store share (built once by makeQueueStore). Internal. */
export interface StoreContext {
  fs: FsLike;
  layout: QueueLayout;
  now(): number;
  /** `now()` as an ISO 8601 string. */
  iso(): string;
  /** Files read at once. */
  concurrency: number;
  /** unlink, retried while Windows reports a lock; false when the file was not there. */
  unlink(path: string): Promise<boolean>;
  /** rename, retried while Windows reports a lock. */
  rename(from: string, to: string): Promise<void>;
  /** Atomic write of a metadata file into its state's folder, as is. */
  writeMeta(meta: ItemMeta): Promise<void>;
  /** See QueueStore.save. */
  save(meta: ItemMeta, toState?: ItemState): Promise<ItemMeta>;
}
