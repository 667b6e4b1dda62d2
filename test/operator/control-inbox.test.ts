import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlDir, makeControlInbox, submitControl } from '../../src/control/control-inbox.js';
import type { ControlRequest } from '../../src/control/control-ops.js';

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
    const inbox = makeControlInbox({
      stateDir: dir,
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
    expect(await submitControl(dir, req('hold'), { timeoutMs: 150 })).toEqual({
      kind: 'withdrawn',
    });
    expect(await readdir(controlDir(dir))).toEqual([]);
  });

  it('requests taken but not answered before a stop are applied at the next start', async () => {
    const first = makeControlInbox({
      stateDir: dir,
      handle: () => new Promise(() => {}), // never answers: the daemon dies here
      onError: () => {},
    });
    await first.start();
    const pending = submitControl(dir, req('release'), { timeoutMs: 300 });
    expect(await pending).toEqual({ kind: 'taken' });
    void first.stop();
    const seen: string[] = [];
    const second = makeControlInbox({
      stateDir: dir,
      handle: async (r) => (seen.push(r.op), { ok: true, message: 'ok' }),
      onError: () => {},
    });
    await second.start();
    try {
      for (let i = 0; i < 100 && seen.length === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual(['release']);
    } finally {
      await second.stop();
    }
  });
});
