import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { isUsageError } from '../../src/errors/errors.js';
import { makeQueueStore, type QueueStore } from '../../src/queue/queue-store.js';
import {
  T0,
  admitContent,
  errno,
  exists,
  fsWith,
  manualClock,
  modeOf,
  okParse,
  openStore,
  sha,
  tempStateDir,
} from './helpers.js';

const posix = process.platform !== 'win32';
let dir: string;
let store: QueueStore;
const clock = manualClock();
beforeEach(async () => {
  clock.set(T0);
  dir = await tempStateDir();
  store = await openStore(dir, { clock });
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const q = (state: string, id: string) => path.join(dir, 'queue', state, `${id}.json`);
const readJson = async (p: string) =>
  JSON.parse(await fsp.readFile(p, 'utf8')) as Record<string, unknown>;

describe('open', () => {
  it('creates the folders a person can list, private to the user', async () => {
    for (const s of ['incoming', 'active', 'deferred', 'held', 'failed', 'quarantined']) {
      expect(await exists(path.join(dir, 'queue', s))).toBe(true);
    }
    for (const d of ['data', 'claimed', 'delivered', 'tmp', 'quarantine-entries']) {
      expect(await exists(path.join(dir, d))).toBe(true);
      if (posix) expect(await modeOf(path.join(dir, d))).toBe(0o700);
    }
  });
});

describe('admit', () => {
  it('moves the bytes to data/<id> and writes the metadata in queue/incoming, both 0600', async () => {
    const { claimed, id, res } = await admitContent(store, '{"hello":1}');
    expect(res.kind).toBe('queued');
    expect(await exists(claimed)).toBe(false);
    expect(await fsp.readFile(path.join(dir, 'data', id), 'utf8')).toBe('{"hello":1}');
    const meta = await readJson(q('incoming', id));
    expect(meta).toMatchObject({
      version: 1,
      id,
      state: 'incoming',
      seq: 1,
      source: '/spool/conv.json',
      format: 'json',
      size: 11,
      claimedAt: new Date(T0).toISOString(),
      envelope: {
        from: 'alice@contoso.com',
        to: ['bob@contoso.com'],
        cc: ['carol@fabrikam.com'],
        subject: 'Lunch?',
      },
      attempts: [],
    });
    if (posix) {
      expect(await modeOf(path.join(dir, 'data', id))).toBe(0o600);
      expect(await modeOf(q('incoming', id))).toBe(0o600);
    }
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('recognises the same content dropped again, queued or delivered, and removes the copy', async () => {
    const first = await admitContent(store, 'same bytes');
    const again = await admitContent(store, 'same bytes', { name: 'renamed.json' });
    expect(again.res).toEqual({ kind: 'duplicate', id: first.id, existingState: 'incoming' });
    expect(await exists(again.claimed)).toBe(false);

    const meta = await store.get(first.id);
    await store.markDelivered(meta!);
    expect(await exists(q('incoming', first.id))).toBe(false);
    expect(await exists(path.join(dir, 'data', first.id))).toBe(false);
    expect(await readJson(path.join(dir, 'delivered', `${first.id}.json`))).toMatchObject({
      id: first.id,
      deliveredAt: new Date(T0).toISOString(),
    });
    const third = await admitContent(store, 'same bytes');
    expect(third.res).toEqual({ kind: 'duplicate', id: first.id, existingState: 'delivered' });
    expect(await store.list()).toEqual([]);
  });

  it('quarantines content that did not parse, keeping the bytes and the reason', async () => {
    const { id, res } = await admitContent(store, 'garbage', {
      parsed: { ok: false, code: 'InvalidJson', message: 'not JSON at byte 0' },
    });
    expect(res.kind).toBe('quarantined');
    expect(await readJson(q('quarantined', id))).toMatchObject({
      quarantine: { code: 'InvalidJson', message: 'not JSON at byte 0' },
      lastError: { code: 'InvalidJson' },
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
      store.admit(path.join(dir, 'data', 'x'), {
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
  it('moves an item between state folders with seq + 1 and leaves one copy', async () => {
    const { id } = await admitContent(store, 'item');
    let meta = (await store.get(id))!;
    clock.advance(1000);
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
    expect(await exists(q('incoming', id))).toBe(false);
    expect(await exists(q('active', id))).toBe(false);
    expect(await readJson(q('deferred', id))).toMatchObject({ seq: 3, state: 'deferred' });
    expect(await store.get(id)).toEqual(meta);
    expect(await store.stats()).toMatchObject({ incoming: 0, active: 0, deferred: 1 });
    meta = await store.save({ ...meta, heldReason: 'by bob' });
    expect(meta).toMatchObject({ state: 'deferred', seq: 4, heldReason: 'by bob' });
  });

  it('on a full disk throws and keeps the previous metadata intact', async () => {
    const { id } = await admitContent(store, 'precious');
    const before = (await store.get(id))!;
    const full = makeQueueStore({
      stateDir: dir,
      clock,
      fs: fsWith({ writeFile: async () => Promise.reject(errno('ENOSPC')) }),
    });
    await expect(full.save(before, 'active')).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await store.get(id)).toEqual(before);
    expect(await exists(q('active', id))).toBe(false);
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
    expect(await store.readContent(id)).toEqual(Buffer.from('precious'));
  });

  it('retries a rename refused by a Windows-style lock, then succeeds', async () => {
    const { id } = await admitContent(store, 'locked');
    let eperm = 2;
    const sleeps: number[] = [];
    const flaky = makeQueueStore({
      stateDir: dir,
      clock,
      busyRetry: { sleep: async (ms) => void sleeps.push(ms) },
      fs: fsWith({
        rename: async (a, b) => {
          if (eperm-- > 0) throw errno('EPERM');
          return fsp.rename(a, b);
        },
      }),
    });
    const saved = await flaky.save((await store.get(id))!, 'held');
    expect(saved.state).toBe('held');
    expect(sleeps).toHaveLength(2);
    expect(await store.get(id)).toEqual(saved);
  });
});

describe('list, get, stats', () => {
  it('lists items of the chosen states, oldest first', async () => {
    const a = await admitContent(store, 'a');
    const b = await admitContent(store, 'b');
    await store.save((await store.get(b.id))!, 'held');
    expect((await store.list()).map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
    expect((await store.list(['held'])).map((m) => m.id)).toEqual([b.id]);
    expect(await store.stats()).toEqual({
      incoming: 1,
      active: 0,
      deferred: 0,
      held: 1,
      failed: 0,
      quarantined: 0,
    });
  });

  it('tolerates a file deleted or half-written between listing and reading', async () => {
    const ids = [];
    for (const c of ['one', 'two', 'three']) ids.push((await admitContent(store, c)).id);
    const [gone, broken, fine] = ids as [string, string, string];
    await fsp.writeFile(q('incoming', broken), '{"version":1,"id":');
    const racing = makeQueueStore({
      stateDir: dir,
      fs: fsWith({
        readFile: (async (p: string, o?: unknown) => {
          if (p === q('incoming', gone)) await fsp.unlink(p); // delivered just now
          return fsp.readFile(p, o as undefined);
        }) as typeof fsp.readFile,
      }),
    });
    expect((await racing.list()).map((m) => m.id)).toEqual([fine]);
  });

  it('reads many items, letting the event loop run between chunks (the daemon stays responsive)', async () => {
    const n = 3000;
    const template = (await admitContent(store, 'template')).res;
    if (template.kind !== 'queued') throw new Error('setup');
    await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const id = sha(`item ${i}`);
        return fsp.writeFile(
          q('deferred', id),
          JSON.stringify({ ...template.meta, id, state: 'deferred' }),
        );
      }),
    );
    // Counts turns of the event loop; each item records the turn it was handed over in.
    let turn = 0;
    let reading = true;
    const spin = (): void => {
      turn++;
      if (reading) setImmediate(spin);
    };
    setImmediate(spin);
    const turnsSeen = new Set<number>();
    let count = 0;
    await store.forEach(['deferred'], () => {
      count++;
      turnsSeen.add(turn);
    });
    reading = false;
    expect(count).toBe(n);
    // 3,000 items are read in chunks of 256: timers, signals and HTTP get a turn between them.
    expect(turnsSeen.size).toBeGreaterThanOrEqual(Math.floor(n / 256));
    expect(await store.list(['deferred'])).toHaveLength(n);
  });

  it('reads a metadata file larger than the read buffer in full', async () => {
    const { id } = await admitContent(store, 'many attempts');
    const meta = (await store.get(id))!;
    const attempts = Array.from({ length: 2000 }, (_, i) => ({
      n: i + 1,
      startedAt: new Date(T0 + i).toISOString(),
      durationMs: 5,
      outcome: 'deferred' as const,
      error: { code: 'ErrorServerBusy', message: 'The server is busy.' },
    }));
    await fsp.writeFile(q('incoming', id), JSON.stringify({ ...meta, attempts }, null, 2));
    expect((await fsp.stat(q('incoming', id))).size).toBeGreaterThan(64 * 1024);
    const [listed] = await store.list();
    expect(listed?.attempts).toHaveLength(2000);
  });

  it('visits each item once with forEach, the newer copy of two', async () => {
    const a = (await admitContent(store, 'a')).id;
    const b = (await admitContent(store, 'b')).id;
    const meta = (await store.get(b))!;
    await fsp.writeFile(
      q('held', b),
      JSON.stringify({ ...meta, state: 'held', seq: meta.seq + 1 }),
    );
    const seen: string[] = [];
    await store.forEach(['incoming', 'held'], (m) => seen.push(`${m.id}:${m.state}`));
    expect(seen.sort()).toEqual([`${a}:incoming`, `${b}:held`].sort());
  });

  it('ignores files that are not item metadata', async () => {
    await fsp.writeFile(path.join(dir, 'queue', 'incoming', 'notes.txt'), 'hi');
    await fsp.writeFile(path.join(dir, 'queue', 'incoming', '..json'), '{}');
    expect(await store.list()).toEqual([]);
    expect((await store.stats()).incoming).toBe(0);
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

  const usage = async (input: string, message: RegExp) => {
    const e = await store.resolveId(input).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isUsageError(e)).toBe(true);
    expect((e as Error).message).toMatch(message);
  };

  it('says when a prefix is ambiguous, unknown, too short or delivered', async () => {
    await usage('abcdef01', /ambiguous: it matches 2 items/);
    await usage('12345678', /no item with ID 12345678/);
    await usage('abcdef0', /at least 8/);
    await store.markDelivered((await store.get(id1))!);
    await usage('abcdef011', /was delivered/);
  });

  it('never lets a path through', async () => {
    for (const evil of [
      '../../x',
      'abcdef01/../../etc',
      'abcdef01\\..',
      '..',
      'abcdef01.json',
      '',
      'abcdef01\0',
    ]) {
      await usage(evil, /not an item ID/);
    }
    await expect(store.get('../../queue/incoming/x')).rejects.toSatisfy(isUsageError);
    await expect(store.readContent('../data/x')).rejects.toSatisfy(isUsageError);
  });
});

describe('remove and pruneDelivered', () => {
  it('deletes an item for good', async () => {
    const { id } = await admitContent(store, 'bye');
    const meta = await store.remove(id);
    expect(meta.id).toBe(id);
    expect(await store.get(id)).toBeUndefined();
    expect(await exists(path.join(dir, 'data', id))).toBe(false);
    await expect(store.remove(id)).rejects.toSatisfy(isUsageError);
  });

  it('prunes tombstones older than the retention only', async () => {
    const old = await admitContent(store, 'old');
    await store.markDelivered((await store.get(old.id))!);
    clock.advance(10 * 86_400_000);
    const recent = await admitContent(store, 'recent');
    await store.markDelivered((await store.get(recent.id))!);
    clock.advance(86_400_000);
    expect(await store.pruneDelivered(5 * 86_400_000)).toBe(1);
    expect(await fsp.readdir(path.join(dir, 'delivered'))).toEqual([`${recent.id}.json`]);
  });
});
