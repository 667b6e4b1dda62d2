import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeIntake, type IntakeStore } from '../../src/daemon/intake.js';
import { makeMemoryEventLog } from '../../src/log/logger.js';
import { realFs, type FsLike } from '../../src/platform/fs-seam.js';
import { makeQueueStore, type QueueStore } from '../../src/queue/queue-store.js';
import { claimFile } from '../../src/spool/claim.js';
import type { DueEntry } from '../../src/spool/due-entry.js';
import { itemIdFor } from '../../src/item/item-id.js';
import { parseSpoolItem } from '../../src/item/parse-item.js';
import { errno } from '../queue/helpers.js';
import { manualClock } from '../support/manual-clock.js';

const MAX = 1 << 20;
let root: string;
let spool: string;
let store: QueueStore;
let log: ReturnType<typeof makeMemoryEventLog>;
let queued: string[];
let time: ReturnType<typeof manualClock>;

beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), 'imspooler-intake-'));
  spool = join(root, 'spool');
  await fsp.mkdir(spool);
  store = makeQueueStore({ stateDir: join(root, 'state') });
  await store.open();
  log = makeMemoryEventLog();
  queued = [];
  time = manualClock(Date.now());
});
afterEach(async () => {
  await store.close();
  await fsp.rm(root, { recursive: true, force: true });
});

/** Intake as the daemon builds it, on the real claim, parser and store (each may be swapped). */
function intakeWith(over: { fs?: FsLike; store?: IntakeStore } = {}) {
  const fs = over.fs ?? realFs;
  return makeIntake({
    store: over.store ?? store,
    fs,
    log,
    clock: time.clock,
    maxBytes: MAX,
    // No real pauses between the claim's attempts at a locked file.
    claim: (from, to) => claimFile(fs, from, to, { sleep: async () => {} }),
    parse: (bytes) => parseSpoolItem(bytes, { maxBytes: MAX }),
    itemId: itemIdFor,
    onQueued: (meta) => queued.push(meta.id),
  });
}

const message = (text: string): string =>
  JSON.stringify({ from: 'alice@contoso.com', to: ['bob@contoso.com'], messages: [{ text }] });

/** Writes a spool file and describes it as the monitor hands it over. */
async function drop(name: string, content: string | Buffer): Promise<DueEntry> {
  const path = join(spool, name);
  await fsp.writeFile(path, content);
  const st = await fsp.lstat(path);
  return { path, folder: spool, kind: 'file', size: st.size, mtimeMs: st.mtimeMs, firstSeenAt: time.clock.now() }; // prettier-ignore
}

const claimedFiles = () => fsp.readdir(store.layout.claimedDir);
const actions = () => log.lines.map((l) => (l as { event?: { action?: string } }).event?.action);

describe('what intake answers for a due file', () => {
  it('taken: queued, in the store with its bytes, gone from the spool folder', async () => {
    const entry = await drop('a.json', message('hello'));
    const r = await intakeWith().takeDue(entry);
    expect(r).toMatchObject({ kind: 'taken', as: 'queued' });
    const id = r.kind === 'taken' ? r.id : '';
    expect(queued).toEqual([id]);
    expect((await store.get(id))?.state).toBe('incoming');
    expect((await store.readContent(id)).toString()).toBe(message('hello'));
    expect(await fsp.readdir(spool)).toEqual([]);
    expect(actions()).toEqual(['item.claimed']);
  });

  it('taken as a duplicate: the copy is removed, the item is there once', async () => {
    const intake = intakeWith();
    const first = await intake.takeDue(await drop('a.json', message('same')));
    const copy = await intake.takeDue(await drop('b.json', message('same')));
    expect(copy).toEqual({ kind: 'taken', as: 'duplicate', id: (first as { id: string }).id });
    expect(queued).toHaveLength(1);
    expect(await store.list()).toHaveLength(1);
    expect(await fsp.readdir(spool)).toEqual([]);
  });

  it('taken as quarantined: a symbolic link is moved unread into the store; its target is untouched', async () => {
    const target = join(root, 'outside.json');
    await fsp.writeFile(target, '{"secret":true}');
    await fsp.symlink(target, join(spool, 'link.json'));
    const r = await intakeWith().takeDue({ path: join(spool, 'link.json'), folder: spool, kind: 'notRegular', size: 0, mtimeMs: 0, firstSeenAt: time.clock.now() }); // prettier-ignore
    expect(r).toMatchObject({ kind: 'taken', as: 'quarantined' });
    const meta = await store.get((r as { id: string }).id);
    expect(meta).toMatchObject({ state: 'quarantined', quarantine: { code: 'NotRegularFile' } });
    expect(await fsp.readdir(spool)).toEqual([]);
    expect(await fsp.readFile(target, 'utf8')).toBe('{"secret":true}');
    expect(actions()).toEqual(['item.quarantined']);
  });

  it('taken as quarantined: content that does not parse is kept in the store, byte for byte', async () => {
    const r = await intakeWith().takeDue(await drop('bad.json', '{"not": "a message"'));
    expect(r).toMatchObject({ kind: 'taken', as: 'quarantined' });
    const id = (r as { id: string }).id;
    expect((await store.get(id))?.state).toBe('quarantined');
    expect((await store.readContent(id)).toString()).toBe('{"not": "a message"');
    expect(queued).toEqual([]);
  });

  it('retry-later (locked): the file stays in the spool folder, untouched', async () => {
    const entry = await drop('locked.json', message('wait'));
    const fs: FsLike = {
      ...realFs,
      rename: async (from, to) => {
        if (String(from).includes('locked.json')) throw errno('EBUSY');
        return realFs.rename(from, to);
      },
    };
    const r = await intakeWith({ fs }).takeDue(entry);
    expect(r).toEqual({
      kind: 'retry-later',
      reason: 'locked',
      code: 'SpoolFileLocked',
      message: `spool file is locked by another process; will try again: ${entry.path}`,
    });
    expect(await fsp.readFile(entry.path, 'utf8')).toBe(message('wait'));
    expect(await claimedFiles()).toEqual([]);
    expect(await store.list()).toEqual([]);
    expect(log.lines).toEqual([]);
  });

  it('retry-later (unreadable): a claimed file that cannot be opened goes back to the spool folder', async () => {
    const entry = await drop('denied.json', message('later'));
    let denied = true;
    const fs: FsLike = {
      ...realFs,
      open: (async (p: Parameters<FsLike['open']>[0], flags?: string | number) => {
        if (denied) throw Object.assign(errno('EACCES'), { message: 'EACCES: permission denied' });
        return realFs.open(p, flags);
      }) as FsLike['open'],
    };
    const intake = intakeWith({ fs });
    expect(await intake.takeDue(entry)).toEqual({
      kind: 'retry-later',
      reason: 'unreadable',
      code: 'EACCES',
      message: 'EACCES: permission denied',
    });
    expect(await fsp.readFile(entry.path, 'utf8')).toBe(message('later'));
    expect(await claimedFiles()).toEqual([]);
    expect(intake.strandedCount()).toBe(0);
    denied = false;
    expect(await intake.takeDue(entry)).toMatchObject({ kind: 'taken', as: 'queued' });
  });

  it('retry-later (claim failed): an error moving the file leaves it where it is', async () => {
    const entry = await drop('c.json', message('x'));
    const fs: FsLike = { ...realFs, rename: async () => Promise.reject(errno('EIO')) };
    const r = await intakeWith({ fs }).takeDue(entry);
    expect(r).toMatchObject({ kind: 'retry-later', reason: 'claim-failed', code: 'EIO' });
    expect(await fsp.readFile(entry.path, 'utf8')).toBe(message('x'));
  });

  it('gone: a file that vanished before its claim is reported cleared, nothing is stored', async () => {
    const entry = await drop('v.json', message('bye'));
    await fsp.unlink(entry.path);
    expect(await intakeWith().takeDue(entry)).toEqual({ kind: 'gone' });
    expect(actions()).toEqual(['spool.cleared']);
    expect(await store.list()).toEqual([]);
    expect(await claimedFiles()).toEqual([]);
  });

  it('kept, then retry-later (queue unwritable): a full disk strands one file and holds the others back', async () => {
    let full = true;
    const failing: IntakeStore = {
      claimPath: (n) => store.claimPath(n),
      quarantineEntry: (p, i) => store.quarantineEntry(p, i),
      admit: (p, i) => (full ? Promise.reject(errno('ENOSPC')) : store.admit(p, i)),
    };
    const intake = intakeWith({ store: failing });
    const one = await drop('one.json', message('one'));
    const two = await drop('two.json', message('two'));
    expect(await intake.takeDue(one)).toMatchObject({ kind: 'kept', code: 'ENOSPC' });
    // Out of the spool folder, not lost: waiting in claimed/.
    expect(await claimedFiles()).toHaveLength(1);
    expect(intake.strandedCount()).toBe(1);
    expect(await intake.takeDue(two)).toMatchObject({
      kind: 'retry-later',
      reason: 'queue-unwritable',
      code: 'ENOSPC',
    });
    expect(await fsp.readdir(spool)).toEqual(['two.json']);
    // Space again: the stranded file goes in on intake's own timer (first after 500 ms).
    full = false;
    await time.advance(499);
    expect(intake.strandedCount()).toBe(1);
    await time.advance(1);
    await expect.poll(() => queued.length).toBe(1);
    expect(intake.strandedCount()).toBe(0);
    expect(await intake.takeDue(two)).toMatchObject({ kind: 'taken', as: 'queued' });
    expect(queued).toHaveLength(2);
    expect(await claimedFiles()).toEqual([]);
  });
});

describe('intake with several due files at once', () => {
  it('keeps copies of one content one item when they are taken in parallel', async () => {
    const intake = intakeWith();
    // Four messages, each dropped three times under different names, all due together.
    const entries: DueEntry[] = [];
    for (let copy = 0; copy < 3; copy++) {
      for (let m = 0; m < 4; m++) entries.push(await drop(`copy${copy}-msg${m}.json`, message(`message ${m}`))); // prettier-ignore
    }
    const results = await Promise.all(entries.map((e) => intake.takeDue(e)));
    expect(results.map((r) => (r.kind === 'taken' ? r.as : r.kind)).sort()).toEqual([
      ...Array<string>(8).fill('duplicate'),
      ...Array<string>(4).fill('queued'),
    ]);
    expect(await fsp.readdir(spool)).toEqual([]);
    expect(new Set(queued).size).toBe(4);
    expect(queued).toHaveLength(4);
    expect((await store.list()).map((m) => m.id).sort()).toEqual([...queued].sort());
    const claimedLines = log.lines.filter((l) => JSON.stringify(l).includes('item.claimed'));
    expect(claimedLines).toHaveLength(12);
    expect(
      claimedLines.filter((l) => JSON.stringify(l).includes('duplicate_of_state')),
    ).toHaveLength(8);
  });
});
