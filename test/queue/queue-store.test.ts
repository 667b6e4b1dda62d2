import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { isUsageError } from '../../src/errors/errors.js';
import { type QueueStore } from '../../src/queue/queue-store.js';
import { openConnection } from '../../src/queue/sqlite/driver.js';
import {
  T0,
  admitContent,
  discardStore,
  exists,
  freshStore,
  modeOf,
  okParse,
  openStore,
  realSqliteError,
  sha,
  tempStateDir,
} from './helpers.js';
import { manualClock } from '../support/manual-clock.js';

/**
 * The queue on SQLite (docs/queue.md): one database file with every item, its content, attempts
 * and history; writes in shared transactions (group commit).
 */

const posix = process.platform !== 'win32';
let dir: string;
let store: QueueStore;
const clock = manualClock();
beforeEach(async () => ({ dir, store } = await freshStore(clock, openStore)));
afterEach(() => discardStore(dir));

/** A row as a person with `sqlite3 -readonly` sees it. */
function row(id: string): Record<string, unknown> | undefined {
  const db = openConnection(path.join(dir, 'queue.db'), { readOnly: true });
  try {
    const r = db.prepare('SELECT * FROM items WHERE id = ?').get(id) as
      Record<string, unknown> | undefined;
    const c = db.prepare('SELECT bytes FROM content WHERE id = ?').get(id) as
      { bytes: Uint8Array } | undefined;
    return r && { ...r, meta: JSON.parse(r.meta as string), content: c && Buffer.from(c.bytes) };
  } finally {
    db.close();
  }
}

describe('open', () => {
  it('creates one database in WAL mode and the two folders, private to the user', async () => {
    expect(await exists(path.join(dir, 'queue.db'))).toBe(true);
    for (const d of ['claimed', 'quarantine-entries']) {
      expect(await exists(path.join(dir, d))).toBe(true);
      if (posix) expect(await modeOf(path.join(dir, d))).toBe(0o700);
    }
    // No file-per-item folders any more.
    for (const d of ['queue', 'data', 'delivered', 'tmp']) {
      expect(await exists(path.join(dir, d))).toBe(false);
    }
    const db = openConnection(path.join(dir, 'queue.db'), { readOnly: true });
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.close();
  });
});

describe('admit', () => {
  it('stores the metadata and the exact bytes in one transaction, then removes the claimed file', async () => {
    const bytes = Buffer.from([0x7b, 0x0d, 0x0a, 0xff, 0x00, 0x7d]); // CRLF, a NUL, invalid UTF-8
    const claimed = store.claimPath('conv.json');
    await fsp.writeFile(claimed, bytes);
    const id = sha(bytes);
    const res = await store.admit(claimed, {
      source: '/spool/conv.json',
      firstSeenAt: new Date(T0 - 120_000).toISOString(),
      size: bytes.length,
      id,
      parsed: okParse(id),
    });
    expect(res.kind).toBe('queued');
    expect(await exists(claimed)).toBe(false);
    const r = row(id)!;
    expect(r).toMatchObject({
      state: 'incoming',
      finished_at: null,
      from_addr: 'alice@contoso.com',
      rcpt_addrs: '\nbob@contoso.com\ncarol@fabrikam.com\n',
      meta: {
        version: 1,
        id,
        state: 'incoming',
        seq: 1,
        source: '/spool/conv.json',
        format: 'json',
        size: 6,
        claimedAt: new Date(T0).toISOString(),
        envelope: {
          from: 'alice@contoso.com',
          to: ['bob@contoso.com'],
          cc: ['carol@fabrikam.com'],
          subject: 'Lunch?',
        },
        attempts: [],
      },
    });
    expect(r.content).toEqual(bytes);
    expect(await store.readContent(id)).toEqual(bytes);
  });

  it('keeps the claimed file when the commit fails: the spool file is never gone before its bytes are durable', async () => {
    let fail = false;
    const failing = await openStore(await tempStateDir(), {
      clock,
      beforeCommit: () => {
        if (fail) throw realSqliteError('ioerr');
      },
    });
    fail = true;
    const claimed = failing.claimPath('conv.json');
    await fsp.writeFile(claimed, 'precious');
    const info = {
      source: '/spool/conv.json',
      firstSeenAt: new Date(T0).toISOString(),
      size: 8,
      id: sha('precious'),
      parsed: okParse(sha('precious')),
    };
    await expect(failing.admit(claimed, info)).rejects.toMatchObject({
      code: 'SQLITE_IOERR',
      message: expect.stringMatching(/queue database: SQLITE_IOERR/),
    });
    expect(await fsp.readFile(claimed, 'utf8')).toBe('precious');
    expect(await failing.get(info.id)).toBeUndefined();
    fail = false;
    expect((await failing.admit(claimed, info)).kind).toBe('queued');
    expect(await exists(claimed)).toBe(false);
    expect(await failing.readContent(info.id)).toEqual(Buffer.from('precious'));
  });

  it('recognises the same content dropped again, queued or delivered, and removes the copy', async () => {
    const first = await admitContent(store, 'same bytes');
    const again = await admitContent(store, 'same bytes', { name: 'renamed.json' });
    expect(again.res).toEqual({ kind: 'duplicate', id: first.id, existingState: 'incoming' });
    expect(await exists(again.claimed)).toBe(false);

    await store.markDelivered((await store.get(first.id))!);
    expect(row(first.id)).toMatchObject({
      state: 'delivered',
      finished_at: new Date(T0).toISOString(),
      content: undefined,
    });
    const third = await admitContent(store, 'same bytes');
    expect(third.res).toEqual({ kind: 'duplicate', id: first.id, existingState: 'delivered' });
    expect(await store.list()).toEqual([]);
  });

  it('two copies admitted in the same commit are one item', async () => {
    const [a, b] = await Promise.all([
      admitContent(store, 'twins', { name: 'a.json' }),
      admitContent(store, 'twins', { name: 'b.json' }),
    ]);
    expect([a.res.kind, b.res.kind].sort()).toEqual(['duplicate', 'queued']);
    expect(await store.list()).toHaveLength(1);
  });

  it('queues again the content of an item an operator deleted', async () => {
    const first = await admitContent(store, 'deleted once');
    await store.remove(first.id);
    const again = await admitContent(store, 'deleted once');
    expect(again.res.kind).toBe('queued');
    expect(row(first.id)).toMatchObject({ state: 'incoming', finished_at: null });
  });

  it('quarantines content that did not parse, keeping the bytes and the reason', async () => {
    const { id, res } = await admitContent(store, 'garbage', {
      parsed: { ok: false, code: 'InvalidJson', message: 'not JSON at byte 0' },
    });
    expect(res.kind).toBe('quarantined');
    expect(row(id)).toMatchObject({
      state: 'quarantined',
      meta: {
        quarantine: { code: 'InvalidJson', message: 'not JSON at byte 0' },
        lastError: { code: 'InvalidJson' },
      },
    });
    expect(await store.readContent(id)).toEqual(Buffer.from('garbage'));
  });

  it.skipIf(!posix)(
    'quarantines a symbolic link as the link itself, never its target',
    async () => {
      const target = path.join(dir, 'secret.txt');
      await fsp.writeFile(target, 'do not read');
      const claimed = store.claimPath('evil.json');
      await fsp.symlink(target, claimed);
      const meta = await store.quarantineEntry(claimed, {
        source: '/spool/evil.json',
        code: 'NotRegularFile',
        message: 'not a regular file',
        firstSeenAt: new Date(T0).toISOString(),
      });
      expect(meta).toMatchObject({ state: 'quarantined', quarantine: { code: 'NotRegularFile' } });
      expect(meta.id).toMatch(/^[0-9a-f]{64}$/);
      const moved = path.join(dir, 'quarantine-entries', meta.id);
      expect((await fsp.lstat(moved)).isSymbolicLink()).toBe(true);
      expect(await fsp.readFile(target, 'utf8')).toBe('do not read');
      await expect(store.readContent(meta.id)).rejects.toThrow(/never read/);
      await store.remove(meta.id);
      expect(await exists(moved)).toBe(false);
      expect(await exists(target)).toBe(true);
    },
  );

  it('refuses a path outside claimed/', async () => {
    const id = sha('x');
    await expect(
      store.admit(path.join(dir, 'x'), {
        source: 's',
        firstSeenAt: '',
        size: 1,
        id,
        parsed: okParse(id),
      }),
    ).rejects.toThrow(/claimed/);
  });

  it('gives claimed files unique, recognisable names', () => {
    const a = store.claimPath('C:\\Users\\bob\\History Spooler\\conv 1.json');
    const b = store.claimPath('conv 1.json');
    expect(a).not.toBe(b);
    expect(path.dirname(a)).toBe(path.join(dir, 'claimed'));
    expect(path.basename(a)).toMatch(/^20261124T100000000Z-[0-9a-f]{8}-conv_1\.json\.claimed$/);
  });
});

describe('save', () => {
  it('changes the state with seq + 1, in the database', async () => {
    const { id } = await admitContent(store, 'item');
    let meta = (await store.get(id))!;
    await clock.advance(1000);
    meta = await store.save(meta, 'active');
    meta = await store.save(
      { ...meta, nextAttemptAt: new Date(T0 + 60_000).toISOString() },
      'deferred',
    );
    expect(meta).toMatchObject({
      state: 'deferred',
      seq: 3,
      updatedAt: new Date(T0 + 1000).toISOString(),
    });
    expect(row(id)).toMatchObject({
      state: 'deferred',
      next_attempt_at: new Date(T0 + 60_000).toISOString(),
      meta: { seq: 3 },
    });
    expect(await store.get(id)).toEqual(meta);
    expect(await store.stats()).toMatchObject({ incoming: 0, active: 0, deferred: 1 });
    meta = await store.save({ ...meta, heldReason: 'by bob' });
    expect(meta).toMatchObject({ state: 'deferred', seq: 4, heldReason: 'by bob' });
  });

  for (const kind of ['full', 'ioerr'] as const) {
    it(`on ${kind === 'full' ? 'a full disk (SQLITE_FULL)' : 'an I/O error (SQLITE_IOERR)'} throws a named error and keeps the previous state`, async () => {
      let fail = false;
      const s = await openStore(await tempStateDir(), {
        clock,
        beforeCommit: () => {
          if (fail) throw realSqliteError(kind);
        },
      });
      const { id } = await admitContent(s, 'precious');
      const before = (await s.get(id))!;
      fail = true;
      await expect(s.save(before, 'active')).rejects.toMatchObject({
        code: kind === 'full' ? 'SQLITE_FULL' : 'SQLITE_IOERR',
      });
      fail = false;
      expect(await s.get(id)).toEqual(before);
      expect(await s.readContent(id)).toEqual(Buffer.from('precious'));
    });
  }

  it('never brings back an item that left the queue', async () => {
    const { id } = await admitContent(store, 'gone');
    const meta = (await store.get(id))!;
    await store.markDelivered(meta);
    await expect(store.save(meta, 'deferred')).rejects.toThrow(/was delivered meanwhile/);
    expect(row(id)).toMatchObject({ state: 'delivered' });
  });
});

describe('group commit', () => {
  it('writes asked for together share one transaction; each caller learns its own outcome', async () => {
    const commits: number[] = [];
    const s = await openStore(await tempStateDir(), { clock, onCommit: (n) => commits.push(n) });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await admitContent(s, `burst ${i}`)).id);
    commits.length = 0;
    const metas = await Promise.all(ids.map(async (id) => (await s.get(id))!));
    await s.markDelivered(metas[0]!);
    commits.length = 0;
    // 19 moves to active and one save of a delivered item (refused), asked for at once.
    const results = await Promise.allSettled(metas.map((m) => s.save(m, 'active')));
    expect(commits).toEqual([20]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(19);
    expect(results[0]).toMatchObject({ status: 'rejected' });
    expect((await s.stats()).active).toBe(19);
  });
});

describe('list, get, stats, forEach', () => {
  it('lists items of the chosen states, oldest first, and counts them with one query', async () => {
    const a = await admitContent(store, 'a');
    const b = await admitContent(store, 'b');
    await store.save((await store.get(b.id))!, 'held');
    await store.markDelivered((await store.get(a.id))!);
    await clock.advance(1000);
    const c = await admitContent(store, 'c', { firstSeenAt: new Date(T0).toISOString() });
    expect((await store.list()).map((m) => m.id)).toEqual([b.id, c.id]);
    expect((await store.list(['held'])).map((m) => m.id)).toEqual([b.id]);
    expect(await store.stats()).toEqual({
      incoming: 1,
      active: 0,
      deferred: 0,
      held: 1,
      failed: 0,
      quarantined: 0,
    });
    const seen: string[] = [];
    await store.forEach(['incoming', 'held'], (m) => seen.push(`${m.id}:${m.state}`));
    expect(seen.sort()).toEqual([`${b.id}:held`, `${c.id}:incoming`].sort());
  });

  it('keeps an item whose metadata a person broke by hand visible in failed, with the reason', async () => {
    const { id } = await admitContent(store, 'edited');
    await store.close();
    const db = openConnection(path.join(dir, 'queue.db'));
    db.prepare("UPDATE items SET meta = '{\"version\":1,' , state = 'failed' WHERE id = ?").run(id);
    db.close();
    const again = await openStore(dir, { clock });
    expect(await again.list()).toMatchObject([
      { id, state: 'failed', lastError: { code: 'CorruptMetadata' } },
    ]);
  });
});

describe('resolveId', () => {
  const id1 = 'abcdef01' + '1'.repeat(56);
  const id2 = 'abcdef01' + '2'.repeat(56);
  beforeEach(async () => {
    await admitContent(store, 'one', { id: id1 });
    await admitContent(store, 'two', { id: id2 });
  });

  it('expands a unique prefix of 8 or more characters, in any case', async () => {
    expect(await store.resolveId('abcdef011')).toBe(id1);
    expect(await store.resolveId(' ABCDEF012 ')).toBe(id2);
    expect(await store.resolveId(id1)).toBe(id1);
  });

  const usage = async (input: string, message: RegExp, history = false) => {
    const e = await store.resolveId(input, { history }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isUsageError(e)).toBe(true);
    expect((e as Error).message).toMatch(message);
  };

  it('says when a prefix is ambiguous, unknown, too short or delivered; show finds delivered ones', async () => {
    await usage('abcdef01', /ambiguous: it matches 2 items/);
    await usage('12345678', /no item with ID 12345678/);
    await usage('abcdef0', /at least 8/);
    await store.markDelivered((await store.get(id1))!);
    await usage('abcdef011', /was delivered .* no longer in the queue/);
    expect(await store.resolveId('abcdef011', { history: true })).toBe(id1);
    expect(store.find(id1)).toMatchObject({
      state: 'delivered',
      finishedAt: new Date(T0).toISOString(),
      meta: { id: id1 },
    });
  });

  it('never lets anything but hex through', async () => {
    for (const evil of [
      '../../x',
      'abcdef01/../../etc',
      'abcdef01\\..',
      '..',
      "abcdef01' OR 1",
      '',
      'abcdef01\0',
    ]) {
      await usage(evil, /not an item ID/);
    }
    await expect(store.get('../../queue/incoming/x')).rejects.toSatisfy(isUsageError);
    await expect(store.readContent('../data/x')).rejects.toSatisfy(isUsageError);
  });
});

describe('remove and the history', () => {
  it('deletes an item from the queue; the history keeps its envelope, not its content', async () => {
    const { id } = await admitContent(store, 'bye');
    const meta = await store.remove(id);
    expect(meta.id).toBe(id);
    expect(await store.get(id)).toBeUndefined();
    expect(row(id)).toMatchObject({
      state: 'deleted',
      content: undefined,
      meta: { envelope: { from: 'alice@contoso.com' } },
    });
    await expect(store.remove(id)).rejects.toSatisfy(isUsageError);
  });

  it('prunes what left the queue longer ago than the retention, never what is queued', async () => {
    const old = await admitContent(store, 'old');
    await store.markDelivered((await store.get(old.id))!);
    const waiting = await admitContent(store, 'waiting');
    await clock.advance(10 * 86_400_000);
    const recent = await admitContent(store, 'recent');
    await store.remove(recent.id);
    await clock.advance(86_400_000);
    expect(await store.pruneHistory(5 * 86_400_000)).toBe(1);
    expect(row(old.id)).toBeUndefined();
    expect(row(recent.id)).toMatchObject({ state: 'deleted' });
    expect(row(waiting.id)).toMatchObject({ state: 'incoming' });
  });

  it('finds items by sender, recipient (To or Cc, any case) and time, queued or gone, newest first', async () => {
    const parsed = (id: string, from: string, to: string[], cc: string[] = []) => ({
      ok: true as const,
      item: {
        id,
        format: 'json' as const,
        kind: 'offline-im' as const,
        from,
        to,
        cc,
        messages: [{ text: 'x' }],
      },
    });
    const a = sha('a');
    await admitContent(store, 'a', { parsed: parsed(a, 'alice@contoso.com', ['bob@contoso.com']) });
    await clock.advance(1000);
    const b = sha('b');
    await admitContent(store, 'b', {
      parsed: parsed(b, 'Alice@Contoso.com', ['eve@fabrikam.com'], ['Bob@Contoso.com']),
    });
    await store.markDelivered((await store.get(b))!);
    const c = sha('c');
    await admitContent(store, 'c', {
      parsed: parsed(c, 'carol@contoso.com', ['bobby@contoso.com']),
    });
    // firstSeenAt comes from the caller (T0 - 2 min for all three): make them differ.
    const ids = (q: Parameters<QueueStore['history']>[0]) => store.history(q).map((e) => e.id);
    expect(ids({ to: 'BOB@contoso.com', limit: 10 }).sort()).toEqual([a, b].sort());
    expect(ids({ to: 'sip:bob@contoso.com', limit: 10 }).sort()).toEqual([a, b].sort());
    expect(ids({ from: 'alice@CONTOSO.com', limit: 10 }).sort()).toEqual([a, b].sort());
    expect(ids({ from: 'alice@contoso.com', to: 'eve@fabrikam.com', limit: 10 })).toEqual([b]);
    expect(ids({ limit: 2 })).toHaveLength(2);
    expect(ids({ sinceIso: new Date(T0).toISOString(), limit: 10 })).toEqual([]);
    expect(
      store.history({ from: 'alice@contoso.com', to: 'eve@fabrikam.com', limit: 1 })[0],
    ).toEqual({
      id: b,
      state: 'delivered',
      from: 'Alice@Contoso.com',
      to: ['eve@fabrikam.com'],
      cc: ['Bob@Contoso.com'],
      firstSeenAt: new Date(T0 - 120_000).toISOString(),
      finishedAt: new Date(T0 + 1000).toISOString(),
      attempts: 0,
      source: '/spool/conv.json',
    });
  });
});

describe('waitingPage', () => {
  it('reads the waiting items a page at a time in due order, those due at once first, then by ID', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push((await admitContent(store, `item ${i}`, { name: `i${i}.json` })).id);
    // Two deferred (one later than the other), one held: the rest are incoming, due at once.
    const later = new Date(T0 + 60_000).toISOString();
    const sooner = new Date(T0 + 30_000).toISOString();
    for (const [id, at] of [
      [ids[0]!, later],
      [ids[1]!, sooner],
    ] as const) {
      const m = (await store.get(id))!;
      await store.save({ ...m, nextAttemptAt: at }, 'deferred');
    }
    await store.save((await store.get(ids[2]!))!, 'held');
    const seen: { id: string; at: string | undefined }[] = [];
    let after;
    for (;;) {
      const page = store.waitingPage(after, 2);
      seen.push(...page.map((r) => ({ id: r.id, at: r.nextAttemptAt })));
      if (page.length < 2) break;
      after = page.at(-1)!.cursor;
    }
    const dueAtOnce = ids.slice(3).sort();
    expect(seen).toEqual([
      ...dueAtOnce.map((id) => ({ id, at: undefined })),
      { id: ids[1], at: sooner },
      { id: ids[0], at: later },
    ]);
  });

  it('finds the oldest item waiting for delivery for the metrics', async () => {
    expect(store.oldestWaiting()).toBeUndefined();
    const old = new Date(T0 - 3_600_000).toISOString();
    const { id } = await admitContent(store, 'old one', { name: 'a.json', firstSeenAt: old });
    await admitContent(store, 'new one', { name: 'b.json' });
    expect(store.oldestWaiting()).toBe(old);
    await store.save((await store.get(id))!, 'held');
    expect(store.oldestWaiting()).toBe(new Date(T0 - 120_000).toISOString());
  });
});
