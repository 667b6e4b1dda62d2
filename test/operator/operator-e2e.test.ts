import { readdir, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wakeDaemon } from '../../src/control/lock-endpoint.js';
import { submitControl } from '../../src/control/control-inbox.js';
import { queueStates } from '../support/queue-db.js';
import { itemIdFor } from '../../src/item/item-id.js';
import { jsonItem, makeWorld, waitUntil, type LogLine, type World } from '../e2e/harness.js';
import { schemaErrors, validateShow, validateStatus } from '../status/schema-validator.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const ME = userInfo().username;
const started = (l: LogLine) => l.event?.action === 'daemon.started';

interface Status {
  daemon: { running: boolean; pid?: number };
  counts: Record<string, number>;
  items: { id: string; state: string; source: string; attempts: number }[];
}

/** `status --json`, checked against schemas/status.schema.json every time it is read. */
async function status(w: World, ...args: string[]): Promise<Status> {
  const r = await w.cli('status', '--json', ...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as Status;
  expect(schemaErrors(validateStatus, doc)).toBe('');
  return doc;
}

/** `show ID --json`, checked against schemas/show.schema.json. */
async function show(w: World, id: string, ...args: string[]): Promise<Record<string, unknown>> {
  const r = await w.cli('show', id, '--json', ...args);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(schemaErrors(validateShow, doc)).toBe('');
  return doc;
}

/** Drops a JSON item and returns its ID (derived from the content, as the daemon does). */
async function dropItem(w: World, name: string, to: string[], n: number): Promise<string> {
  const content = jsonItem(n, to);
  await w.drop(name, content);
  return itemIdFor(Buffer.from(content));
}

/** Item states straight from the queue database (read-only): cheap enough to poll. */
async function onDisk(w: World): Promise<Map<string, string>> {
  return queueStates(w.stateDir);
}
const count = async (w: World, state: string) =>
  [...(await onDisk(w)).values()].filter((s) => s === state).length;

/** Every line the daemon and the CLI wrote to the log file(s). */
async function logFileLines(w: World): Promise<LogLine[]> {
  const dir = join(w.stateDir, 'log');
  const out: LogLine[] = [];
  for (const f of (await readdir(dir).catch(() => [] as string[])).filter((n) =>
    n.endsWith('.log'),
  )) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n'))
      if (line.trim()) out.push(JSON.parse(line) as LogLine);
  }
  return out;
}

const action = (l: LogLine) => l.event?.action;
const requestedBy = (l: LogLine) =>
  (l.imspooler as Record<string, unknown> | undefined)?.requested_by;
const CONTROL_ACTIONS = ['item.held', 'item.released', 'item.deleted', 'item.retry_requested'];

describe('operator commands against the real daemon', () => {
  it('hold, delete, retry --all and release while the server fails: applied within a second, every item delivered once or deleted', async () => {
    // Failures are retried only after an hour: nothing moves unless an operator asks.
    world = await makeWorld({ retry: { minDelay: '1h', maxDelay: '2h' } }, { http503: true });
    const daemon = world.start();
    await daemon.waitForLine(started, 'daemon.started');
    expect(await status(world)).toMatchObject({
      daemon: { running: true, pid: daemon.proc.pid },
      items: [],
    });

    const [a, b, c, d] = await Promise.all(
      [1, 2, 3, 4].map((n) => dropItem(world!, `im-${n}.json`, ['bob@contoso.com'], n)),
    );
    const broken = '{"from": "alice@contoso.com", "to": [';
    await world.drop('broken.json', broken);
    const q = itemIdFor(Buffer.from(broken));
    await waitUntil(
      async () =>
        (await count(world!, 'deferred')) === 4 && (await count(world!, 'quarantined')) === 1,
      'four deferred items and a quarantined one',
    );
    expect((await status(world)).counts).toMatchObject({ deferred: 4, quarantined: 1 });
    expect(await show(world, q)).toMatchObject({
      state: 'quarantined',
      quarantine: { code: 'InvalidJson' },
    });
    expect(await show(world, b!)).toMatchObject({
      state: 'deferred',
      attempts: [{ outcome: 'deferred' }],
    });

    // hold, by an 8-character prefix: when the command returns, the daemon has applied it.
    const held = await world.cli('hold', a!.slice(0, 8));
    expect(held).toMatchObject({ code: 0, stderr: '' });
    expect(held.stdout).toContain(`held ${a!.slice(0, 12)}`);
    expect((await onDisk(world)).get(a!)).toBe('held');
    expect(await show(world, a!)).toMatchObject({ state: 'held', heldReason: `held by ${ME}` });

    // The daemon's side of it, without the CLI's start-up time: applied within a second.
    const t0 = Date.now();
    const answer = await submitControl(
      world.stateDir,
      { op: 'retry', id: c!, user: ME, requestedAt: new Date().toISOString() },
      { wake: () => wakeDaemon(world!.stateDir) },
    );
    expect(answer).toMatchObject({ kind: 'answered', result: { ok: true } });
    expect(Date.now() - t0).toBeLessThan(1000);
    await daemon.waitForLine(
      (l) =>
        action(l) === 'delivery.deferred' &&
        l.imspooler?.item?.id === c &&
        l.imspooler?.attempt === 2,
      'c tried again',
    );

    // delete: gone from the queue; the log says who deleted what (never the text).
    const del = await world.cli('delete', d!);
    expect(del.code).toBe(0);
    expect(del.stdout).toContain('from alice@contoso.com to bob@contoso.com');
    expect((await onDisk(world)).has(d!)).toBe(false);
    const deleted = await daemon.waitForLine((l) => action(l) === 'item.deleted', 'item.deleted');
    expect(deleted).toMatchObject({
      imspooler: { item: { id: d }, requested_by: ME },
      email: { from: { address: ['alice@contoso.com'] }, to: { address: ['bob@contoso.com'] } },
    });
    expect(JSON.stringify(deleted)).not.toContain('Message number');

    // A request that does not fit: exit 2, one line on stderr, nothing changed.
    const bad = await world.cli('release', b!);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      `imspooler: item ${b!.slice(0, 12)} is deferred, not held: nothing to release`,
    ]);

    // The server recovers except for one mailbox, which fails for good.
    world.sandbox.faults.clear();
    world.sandbox.faults.set({
      recipientErrors: { 'nobody@contoso.com': 'ErrorNonExistentMailbox' },
    });
    const f = await dropItem(world, 'im-5.json', ['nobody@contoso.com'], 5);
    await waitUntil(async () => (await onDisk(world!)).get(f) === 'failed', 'f failed');
    expect(await show(world, f)).toMatchObject({
      state: 'failed',
      lastError: { code: 'ErrorNonExistentMailbox' },
    });
    const mid = await status(world);
    expect(mid.items.map((i) => i.state).sort()).toEqual([
      'deferred',
      'deferred',
      'failed',
      'held',
      'quarantined',
    ]);

    // retry --all: the deferred go out, the failed one fails again; the held one stays.
    const all = await world.cli('retry', '--all');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^3 item\(s\) made due now/);
    await waitUntil(
      () => daemon.actions('delivery.succeeded').length === 2,
      'b and c delivered',
      20_000,
    );
    await waitUntil(() => daemon.actions('delivery.failed').length === 2, 'f failed again', 20_000);
    expect([...(await onDisk(world))].sort()).toEqual(
      [
        [a, 'held'],
        [f, 'failed'],
        [q, 'quarantined'],
      ].sort(),
    );
    expect((await world.cli('delete', f)).code).toBe(0);
    expect((await world.cli('delete', q)).code).toBe(0);

    // release: the held item goes out too.
    expect(await world.cli('release', a!.slice(0, 10))).toMatchObject({ code: 0 });
    await waitUntil(() => daemon.actions('delivery.succeeded').length === 3, 'a delivered', 20_000);
    expect((await status(world)).items).toEqual([]);
    const headers = (await world.delivered()).map((m) => m.itemHeader).sort();
    expect(headers).toEqual([a, b, c].map((id) => `${id}/org`).sort());

    // Every change is logged with who asked, in the daemon's output and in its log file.
    const control = daemon.lines.filter((l) => CONTROL_ACTIONS.includes(action(l) ?? ''));
    for (const l of control) expect(requestedBy(l)).toBe(ME);
    const tally = (act: string) => control.filter((l) => action(l) === act).length;
    // retry: c alone; then --all: one line per item made due, and a summary line.
    expect([
      tally('item.held'),
      tally('item.deleted'),
      tally('item.retry_requested'),
      tally('item.released'),
    ]).toEqual([1, 3, 5, 1]);
    daemon.proc.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(
      (await logFileLines(world)).filter((l) => CONTROL_ACTIONS.includes(action(l) ?? '')),
    ).toHaveLength(control.length);
  }, 180_000);

  it('hold and delete while deliveries are in flight: nothing lost, nothing sent twice', async () => {
    // Slow answers, well within the EWS timeout: every attempt ends with a clear answer.
    world = await makeWorld(
      { delivery: { concurrency: 2, ews: { timeout: '30s' } } },
      { slowMs: { ms: 6000 } },
    );
    const daemon = world.start();
    await daemon.waitForLine(started, 'daemon.started');
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5, 6])
      ids.push(await dropItem(world, `f-${n}.json`, ['bob@contoso.com'], n));
    const snapshot = (await waitUntil(async () => {
      const m = await onDisk(world!);
      const states = [...m.values()];
      return states.filter((x) => x === 'active').length === 2 &&
        states.filter((x) => x === 'queued').length >= 2
        ? m
        : undefined;
    }, 'two items in flight and more queued'))!;
    const active = [...snapshot].filter(([, st]) => st === 'active').map(([id]) => id);
    // The last two to come due, so they are still waiting when the commands (slow to start) run.
    const queued = ids.filter((id) => snapshot.get(id) === 'queued').reverse();

    const [holdQueued, deleteQueued, holdActive, deleteActive] = await Promise.all([
      world.cli('hold', queued[0]!),
      world.cli('delete', queued[1]!),
      world.cli('hold', active[0]!),
      world.cli('delete', active[1]!),
    ]);
    // On a loaded machine a command may start late, when its item is already in flight or sent:
    // every answer must be one of these, and the end state is checked below either way.
    const outcomes =
      /^(held|deleted) [0-9a-f]{12}|is being delivered right now; (hold|delete) applies as soon as this attempt ends|no item [0-9a-f]+ in the queue|was delivered and is no longer in the queue/;
    for (const r of [holdQueued, deleteQueued, holdActive, deleteActive]) {
      expect(r.stdout + r.stderr).toMatch(outcomes);
      expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
    }
    // Normally: the waiting items are held and deleted at once, the ones in flight answered at once.
    expect(holdQueued.stdout).toMatch(/^held |being delivered/);
    expect(holdActive.stdout).toMatch(/being delivered right now|^held /);

    await waitUntil(
      async () => {
        const m = await onDisk(world!);
        return [...m.values()].every((st) => st === 'held');
      },
      'everything delivered or deleted but what is held',
      60_000,
    ).catch(async (e: unknown) => {
      // What the queue and the daemon said, so a failure here can be understood from CI output.
      const queue = JSON.stringify([...(await onDisk(world!))]);
      const log = daemon.lines
        .map((l) => `${action(l)}/${l.event?.outcome}/${l.imspooler?.item?.id?.slice(0, 8)}`)
        .join(' ');
      throw new Error(`${(e as Error).message}; queue ${queue}; log ${log}`);
    });
    if (holdQueued.stdout.startsWith('held ')) {
      expect(await show(world, queued[0]!)).toMatchObject({ state: 'held', attempts: [] });
    }
    for (const id of (await onDisk(world)).keys())
      expect((await world.cli('release', id)).code).toBe(0);
    await waitUntil(async () => (await onDisk(world!)).size === 0, 'an empty queue', 30_000);

    const delivered = (await world.delivered()).map((m) => m.itemHeader.split('/')[0]);
    expect(new Set(delivered).size).toBe(delivered.length); // no item twice
    const deletedOnPurpose = daemon
      .actions('item.deleted')
      .filter((l) => l.event?.outcome === 'success')
      .map((l) => l.imspooler?.item?.id);
    for (const id of ids) {
      // Exactly one fate per item: delivered once, or deleted by the operator.
      expect(
        [delivered.includes(id), deletedOnPurpose.includes(id)].filter(Boolean),
        id,
      ).toHaveLength(1);
    }
    if (deleteQueued.stdout.startsWith('deleted ')) expect(deletedOnPurpose).toContain(queued[1]);
    expect(delivered).toContain(queued[0]);
    expect(
      daemon.lines
        .filter((l) => CONTROL_ACTIONS.includes(action(l) ?? ''))
        .every((l) => requestedBy(l) === ME),
    ).toBe(true);
    daemon.proc.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 180_000);

  it('works the same without a daemon, and the next daemon honours what was changed', async () => {
    world = await makeWorld({ retry: { minDelay: '1h', maxDelay: '2h' } }, { http503: true });
    // status on a state folder that does not exist yet: an empty queue, and nothing created.
    expect(await status(world)).toMatchObject({ daemon: { running: false }, items: [] });
    await expect(readdir(world.stateDir)).rejects.toThrow(/ENOENT/);

    const first = world.start();
    await first.waitForLine(started, 'daemon.started');
    const [a, b, c] = await Promise.all(
      [1, 2, 3].map((n) => dropItem(world!, `n-${n}.json`, ['bob@contoso.com'], n)),
    );
    await waitUntil(async () => (await count(world!, 'deferred')) === 3, 'three deferred items');
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    expect(await world.cli('hold', a!)).toMatchObject({ code: 0, stderr: '' });
    expect(await world.cli('delete', b!.slice(0, 8))).toMatchObject({ code: 0, stderr: '' });
    const retry = await world.cli('retry', c!);
    expect(retry).toMatchObject({ code: 0, stderr: '' });
    expect(retry.stdout).toContain('the daemon is not running: sent when it starts');
    const s = await status(world);
    expect(s.daemon.running).toBe(false);
    expect(s.items.map((i) => [i.id, i.state]).sort()).toEqual(
      [
        [a, 'held'],
        [c, 'queued'],
      ].sort(),
    );
    const onlyHeld = await status(world, '--state', 'held');
    expect(onlyHeld.items.map((i) => i.id)).toEqual([a]);
    expect(onlyHeld.counts).toMatchObject({ held: 1, queued: 1 });

    // The log file says who asked, though no daemon wrote it.
    const lines = await logFileLines(world);
    for (const act of ['item.held', 'item.deleted', 'item.retry_requested']) {
      expect(
        lines.find((l) => action(l) === act && requestedBy(l) === ME),
        act,
      ).toBeTruthy();
    }

    world.sandbox.faults.clear();
    const second = world.start();
    await second.waitForLine(started, 'restart');
    await waitUntil(() => second.actions('delivery.succeeded').length === 1, 'c delivered', 20_000);
    expect((await world.delivered()).map((m) => m.itemHeader)).toEqual([`${c}/org`]);
    expect([...(await onDisk(world))]).toEqual([[a, 'held']]);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it('bad IDs and bad options are exit 2 with one readable line and change nothing', async () => {
    world = await makeWorld({ retry: { minDelay: '1h', maxDelay: '2h' } }, { http503: true });
    const daemon = world.start();
    await daemon.waitForLine(started, 'daemon.started');
    const id = await dropItem(world, 'x.json', ['bob@contoso.com'], 1);
    await waitUntil(async () => (await onDisk(world!)).get(id) === 'deferred', 'a deferred item');
    const cases = [
      ['show', '../../x'],
      ['show', 'abc'],
      ['show', id.startsWith('0') ? '1'.repeat(8) : '0'.repeat(8)],
      ['hold', '../../etc/passwd'],
      ['retry'],
      ['retry', id, '--all'],
      ['status', '--state', 'delivered'],
    ];
    const results = await Promise.all(cases.map((args) => world!.cli(...args)));
    for (const [i, r] of results.entries()) {
      const what = cases[i]!.join(' ');
      expect(r.code, what).toBe(2);
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(r.stderr, what).toMatch(/^imspooler: /);
    }
    expect(results[0]!.stderr).toMatch(/is not an item ID/);
    expect(results[2]!.stderr).toMatch(/no item with ID/);
    expect([...(await onDisk(world))]).toEqual([[id, 'deferred']]);
    // show --body prints the text only on request.
    expect((await show(world, id)).messages).toBeUndefined();
    expect((await show(world, id, '--body')).messages).toEqual([
      expect.objectContaining({ text: expect.stringContaining('Message number 1') }),
    ]);
    daemon.proc.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 120_000);
});
