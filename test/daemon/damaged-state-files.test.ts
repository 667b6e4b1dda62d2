import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { realFs } from '../../src/platform/fs-seam.js';
import { controlDir, makeControlInbox, submitControl } from '../../src/control/control-inbox.js';
import type { ControlRequest } from '../../src/control/control-ops.js';
import {
  daemonInfoPath,
  graceFilePath,
  problemsFilePath,
  readGraceFiles,
  readProblems,
  readRunningDaemon,
} from '../../src/daemon/daemon-state.js';
import { acquireQueueLock, type HeldLock } from '../../src/control/queue-lock.js';

/**
 * What the daemon publishes and reads back through the state folder is checked, not cast (issue
 * 12, item 8): a damaged or foreign file makes `status` report what it can, never a TypeError.
 */
let dir: string;
const held: HeldLock[] = [];
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'imspooler-damaged-'))));
afterEach(async () => {
  for (const h of held.splice(0)) await h.release();
  await rm(dir, { recursive: true, force: true });
});

async function runningDaemon(): Promise<void> {
  const r = await acquireQueueLock(dir, 'daemon', { version: '9.9.9' });
  if (r.kind !== 'acquired') throw new Error(`lock not taken: ${r.kind}`);
  held.push(r);
}

describe('damaged state files', () => {
  it('a daemon.json of the wrong shape: the running daemon is still reported, from the lock', async () => {
    await runningDaemon();
    await writeFile(daemonInfoPath(dir), JSON.stringify({ pid: process.pid, startedAt: 7, spoolFolders: 'C:\\spool' })); // prettier-ignore
    const info = await readRunningDaemon(dir);
    expect(info).toMatchObject({ pid: process.pid, version: '9.9.9' });
    expect(typeof info?.startedAt).toBe('string');
    expect(info?.spoolFolders).toBeUndefined();
  });

  it('a daemon.json that fits is what status shows, extra keys of a newer version kept', async () => {
    await runningDaemon();
    const written = { pid: process.pid, startedAt: '2026-12-02T03:00:00.000Z', version: '9.9.9', transport: 'ews', spoolFolders: ['/s'], later: 1 }; // prettier-ignore
    await writeFile(daemonInfoPath(dir), JSON.stringify(written));
    expect(await readRunningDaemon(dir)).toEqual(written);
  });

  it('grace.json and problems.json of the wrong shape read as nothing published', async () => {
    await writeFile(graceFilePath(dir), JSON.stringify([{ path: '/s/a.json', size: 'big' }]));
    await writeFile(problemsFilePath(dir), JSON.stringify([{ kind: 'spool', count: 1 }]));
    expect(await readGraceFiles(dir)).toEqual([]);
    expect(await readProblems(dir)).toEqual([]);
    const problem = { kind: 'spool', subject: 's', code: 'EACCES', message: 'm', since: 't', count: 2 }; // prettier-ignore
    await writeFile(problemsFilePath(dir), JSON.stringify([problem]));
    expect(await readProblems(dir)).toEqual([problem]);
  });

  it('a control request of the wrong shape is answered with what is wrong, and not applied', async () => {
    const handled: ControlRequest[] = [];
    const inbox = makeControlInbox({
      stateDir: dir,
      fs: realFs,
      clock: systemClock,
      handle: async (r) => (handled.push(r), { ok: true, message: 'done' }),
      onError: (e) => {
        throw e;
      },
    });
    await inbox.start();
    try {
      const odd = { op: 'explode', id: 'a'.repeat(64), user: 'carol', requestedAt: 'now' };
      const out = await submitControl(dir, odd as unknown as ControlRequest);
      expect(out).toEqual({
        kind: 'answered',
        result: {
          ok: false,
          message: expect.stringMatching(/^control request \S+\.request: op is "explode", expected one of "hold", "release", "retry", "delete"$/), // prettier-ignore
          exitCode: 1,
        },
      });
      expect(handled).toEqual([]);
      expect(await readdir(controlDir(dir))).toEqual([]);
    } finally {
      await inbox.stop();
    }
  });

  it('a damaged answer from the daemon is reported by name, not as a JSON SyntaxError', async () => {
    await mkdir(controlDir(dir), { recursive: true });
    // A stand-in daemon that answers every request with a result file that is not a result.
    const answering = (async () => {
      for (;;) {
        const names = await readdir(controlDir(dir));
        const reqName = names.find((n) => n.endsWith('.request'));
        if (reqName) {
          const base = reqName.slice(0, -'.request'.length);
          await rm(join(controlDir(dir), reqName));
          await writeFile(join(controlDir(dir), `${base}.result`), '{"ok":"yes"}');
          return;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const req: ControlRequest = { op: 'hold', id: 'a'.repeat(64), user: 'carol', requestedAt: 'now' }; // prettier-ignore
    await expect(submitControl(dir, req, { timeoutMs: 5000 })).rejects.toThrow(
      /^the daemon's answer \S+\.result: ok is "yes", expected true or false$/,
    );
    await answering;
  });
});
