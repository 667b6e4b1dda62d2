import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Clock } from '../../../src/clock.js';
import { realFs, type FsLike } from '../../../src/platform/fs-seam.js';
import type { ParseResult } from '../../../src/item/spool-item.js';
import { makeQueueStore, type QueueStore } from '../../../src/queue/legacy/file-queue-store.js';

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

/** A store opened on `dir`, with instant lock retries. */
export async function openStore(
  dir: string,
  extra: { fs?: FsLike; clock?: Clock } = {},
): Promise<QueueStore> {
  const store = makeQueueStore({ stateDir: dir, busyRetry: { sleep: async () => {} }, ...extra });
  await store.open();
  return store;
}

/** Drops `content` into claimed/ as the spool monitor would, and admits it. */
export async function admitContent(
  store: QueueStore,
  content: string,
  opts: { id?: string; parsed?: ParseResult; name?: string } = {},
) {
  const claimed = store.claimPath(opts.name ?? 'conv.json');
  await fsp.writeFile(claimed, content, { mode: 0o644 });
  const id = opts.id ?? sha(content);
  const res = await store.admit(claimed, {
    source: `/spool/${opts.name ?? 'conv.json'}`,
    firstSeenAt: new Date(T0 - 120_000).toISOString(),
    size: Buffer.byteLength(content),
    id,
    parsed: opts.parsed ?? okParse(id),
  });
  return { claimed, id, res };
}
