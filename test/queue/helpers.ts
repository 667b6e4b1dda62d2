import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Clock } from '../../src/clock.js';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import type { ParseResult, SpoolItem } from '../../src/item/spool-item.js';
import {
  makeQueueStore,
  type QueueStore,
  type QueueStoreOptions,
} from '../../src/queue/queue-store.js';
import { openConnection } from '../../src/queue/sqlite/driver.js';

export const T0 = Date.parse('2026-11-24T10:00:00.000Z');

export const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export const errno = (code: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: injected`), { code });

/** The real file system with some calls replaced. */
export const fsWith = (over: Partial<FsLike>): FsLike => ({ ...realFs, ...over });

/** A parsed JSON offline message from alice; `over` replaces fields (recipients, messages). */
export const okParse = (
  id: string,
  subject = 'Lunch?',
  over: Partial<Omit<SpoolItem, 'id' | 'subject'>> = {},
): ParseResult => ({
  ok: true,
  item: {
    id,
    format: 'json',
    kind: 'offline-im',
    from: 'alice@contoso.com',
    to: ['bob@contoso.com'],
    cc: ['carol@fabrikam.com'],
    subject,
    messages: [{ text: 'Are you free at 3?' }],
    ...over,
  },
});

export const exists = (p: string): Promise<boolean> =>
  fsp.lstat(p).then(
    () => true,
    () => false,
  );

export const modeOf = async (p: string): Promise<number> => (await fsp.stat(p)).mode & 0o777;

export async function tempStateDir(): Promise<string> {
  return fsp.mkdtemp(path.join(tmpdir(), 'imspooler-queue-'));
}

/** A store opened on `dir`, with instant lock retries. Close it (or `closeAll`) after the test. */
export async function openStore(
  dir: string,
  extra: Partial<QueueStoreOptions> = {},
): Promise<QueueStore> {
  const store = makeQueueStore({ stateDir: dir, busyRetry: { sleep: async () => {} }, ...extra });
  opened.push(store);
  await store.open();
  return store;
}

const opened: QueueStore[] = [];
/** Closes every store `openStore` opened (Windows cannot remove a folder with an open database). */
export async function closeAll(): Promise<void> {
  for (const s of opened.splice(0)) await s.close();
}

/**
 * A genuine node:sqlite error with the given primary result code, made by SQLite itself where it
 * can be (SQLITE_FULL: a database capped at a few pages), so tests throw what the driver throws.
 */
export function realSqliteError(kind: 'full' | 'ioerr'): Error {
  const db = openConnection(':memory:');
  try {
    if (kind === 'full') {
      db.exec('CREATE TABLE t (b BLOB); PRAGMA max_page_count = 3');
      const ins = db.prepare('INSERT INTO t VALUES (?)');
      for (;;) ins.run(Buffer.alloc(4000));
    }
  } catch (e) {
    return e as Error;
  } finally {
    db.close();
  }
  // SQLite cannot be made to fail an fsync here; this is the shape node:sqlite gives it.
  return Object.assign(new Error('disk I/O error'), {
    code: 'ERR_SQLITE_ERROR',
    errcode: 1034, // SQLITE_IOERR_FSYNC
    errstr: 'disk I/O error',
  });
}

/** What {@link admitContent} needs of a store: the 0.1.0 file store has the same two calls. */
export interface Admitting<R> {
  claimPath(sourceFileName: string): string;
  admit(
    claimedPath: string,
    info: { source: string; firstSeenAt: string; size: number; id: string; parsed: ParseResult },
  ): Promise<R>;
}

/** Drops `content` into claimed/ as the spool monitor would, and admits it. */
export async function admitContent<R>(
  store: Admitting<R>,
  content: string,
  opts: { id?: string; parsed?: ParseResult; name?: string; firstSeenAt?: string } = {},
): Promise<{ claimed: string; id: string; res: R }> {
  const claimed = store.claimPath(opts.name ?? 'conv.json');
  await fsp.writeFile(claimed, content, { mode: 0o644 });
  const id = opts.id ?? sha(content);
  const res = await store.admit(claimed, {
    source: `/spool/${opts.name ?? 'conv.json'}`,
    firstSeenAt: opts.firstSeenAt ?? new Date(T0 - 120_000).toISOString(),
    size: Buffer.byteLength(content),
    id,
    parsed: opts.parsed ?? okParse(id),
  });
  return { claimed, id, res };
}

/** A clock {@link freshStore} can set back. */
type SettableClock = Clock & { set(t: number): void };

/**
 * The set-up of a test on one store: the clock back at T0, a new state folder, a store opened on
 * it by `open` (this file's or the 0.1.0 one's `openStore`). In `beforeEach`; then
 * {@link discardStore} in `afterEach`.
 */
export async function freshStore<S>(
  clock: SettableClock,
  open: (dir: string, extra: { clock: Clock }) => Promise<S>,
): Promise<{ dir: string; store: S }> {
  clock.set(T0);
  const dir = await tempStateDir();
  return { dir, store: await open(dir, { clock }) };
}

/** Closes every store {@link openStore} opened and removes the state folder. */
export async function discardStore(dir: string): Promise<void> {
  await closeAll();
  await fsp.rm(dir, { recursive: true, force: true });
}
