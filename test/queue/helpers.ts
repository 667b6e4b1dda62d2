import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import type { ParseResult } from '../../src/item/spool-item.js';
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

export const okParse = (id: string, subject = 'Lunch?'): ParseResult => ({
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

/** Drops `content` into claimed/ as the spool monitor would, and admits it. */
export async function admitContent(
  store: QueueStore,
  content: string,
  opts: { id?: string; parsed?: ParseResult; name?: string; firstSeenAt?: string } = {},
) {
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
