import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlDir, makeControlInbox, submitControl } from '../../src/control/control-inbox.js';
import type { ControlRequest } from '../../src/control/control-ops.js';
import { systemClock } from '../../src/clock.js';
import { realFs } from '../../src/platform/fs-seam.js';
import { manualClock } from '../support/manual-clock.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'imspooler-inbox-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const req = (op: ControlRequest['op'], id = 'a'.repeat(64)): ControlRequest => ({
  op,
  id,
  user: 'carol',
  requestedAt: new Date().toISOString(),
});

describe('control inbox', () => {
  it('the daemon answers each request in order and leaves no files behind', async () => {
    const seen: string[] = [];
    // The real clock: the answers are real files, and nothing here waits out a timeout.
    const inbox = makeControlInbox({
      stateDir: dir,
      fs: realFs,
      clock: systemClock,
      handle: async (r) => (
        seen.push(r.op),
        r.op === 'delete'
          ? { ok: false, message: 'no such item', exitCode: 2 }
          : { ok: true, message: `${r.op} done` }
      ),
      onError: (e) => {
        throw e;
      },
    });
    await inbox.start();
    try {
      expect(await submitControl(dir, req('hold'))).toEqual({
        kind: 'answered',
        result: { ok: true, message: 'hold done' },
      });
      expect(await submitControl(dir, req('delete'))).toEqual({
        kind: 'answered',
        result: { ok: false, message: 'no such item', exitCode: 2 },
      });
      expect(seen).toEqual(['hold', 'delete']);
      expect(await readdir(controlDir(dir))).toEqual([]);
    } finally {
      await inbox.stop();
    }
  });

  it('a request nobody takes is withdrawn, so it cannot apply later by surprise', async () => {
    const t = manualClock();
    const outcome = submitControl(dir, req('hold'), { timeoutMs: 5000, clock: t.clock });
    expect(await t.runUntil(outcome, 25)).toEqual({ kind: 'withdrawn' });
    expect(t.clock.monotonic()).toBeGreaterThanOrEqual(5000); // it waited the whole timeout
    expect(await readdir(controlDir(dir))).toEqual([]);
  });

  it('requests taken but not answered before a stop are applied at the next start', async () => {
    const t = manualClock();
    let took!: () => void;
    const taken = new Promise<void>((r) => (took = r));
    const first = makeControlInbox({
      stateDir: dir,
      fs: realFs,
      clock: t.clock,
      // Never answers: the daemon dies here.
      handle: () => (took(), new Promise(() => {})),
      onError: () => {},
    });
    await first.start();
    const submitted = submitControl(dir, req('release'), {
      timeoutMs: 300,
      clock: t.clock,
      wake: async () => first.wake(),
    });
    // The daemon has the request before the CLI's time is up (no time passes meanwhile)...
    await taken;
    // ...and does not answer within the CLI's timeout and the moment more it gives a taken one.
    expect(await t.runUntil(submitted, 25)).toEqual({ kind: 'taken' });
    void first.stop();
    let applied!: (op: string) => void;
    const appliedOp = new Promise<string>((r) => (applied = r));
    const second = makeControlInbox({
      stateDir: dir,
      fs: realFs,
      clock: t.clock,
      handle: async (r) => (applied(r.op), { ok: true, message: 'ok' }),
      onError: () => {},
    });
    await second.start();
    try {
      expect(await appliedOp).toBe('release');
    } finally {
      await second.stop();
    }
  });

  it('results nobody collected are removed at the next start once ten minutes old', async () => {
    const t = manualClock(Date.now());
    await mkdir(controlDir(dir), { recursive: true });
    await writeFile(join(controlDir(dir), '1-aa.result'), '{"ok":true,"message":"x"}');
    const inbox = () =>
      makeControlInbox({ stateDir: dir, fs: realFs, clock: t.clock, handle: async () => ({ ok: true, message: '' }), onError: () => {} }); // prettier-ignore
    const young = inbox();
    await young.start();
    await young.stop();
    expect(await readdir(controlDir(dir))).toEqual(['1-aa.result']);
    t.jump(10 * 60_000 + 1000);
    const old = inbox();
    await old.start();
    await old.stop();
    expect(await readdir(controlDir(dir))).toEqual([]);
  });
});
