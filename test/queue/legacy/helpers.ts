/** The helpers of test/queue/helpers.ts, with `openStore` opening a 0.1.0 file store instead. */
import type { Clock } from '../../../src/clock.js';
import type { FsLike } from '../../../src/platform/fs-seam.js';
import { makeQueueStore, type QueueStore } from '../../../src/queue/legacy/file-queue-store.js';

export {
  T0,
  admitContent,
  errno,
  exists,
  freshStore,
  fsWith,
  modeOf,
  okParse,
  sha,
  tempStateDir,
} from '../helpers.js';

/** A 0.1.0 file store opened on `dir`, with instant lock retries. */
export async function openStore(
  dir: string,
  extra: { fs?: FsLike; clock?: Clock } = {},
): Promise<QueueStore> {
  const store = makeQueueStore({ stateDir: dir, busyRetry: { sleep: async () => {} }, ...extra });
  await store.open();
  return store;
}
