import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusCommand } from '../../src/cli/commands/status.js';
import { acquireQueueLock } from '../../src/control/queue-lock.js';
import type { StatusDoc } from '../../src/status/status-doc.js';
import { reconcileGrace } from '../../src/status/status-doc.js';
import { admitContent, openStore, tempStateDir } from '../queue/helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
});

const g = (p: string) => ({ path: p, firstSeenAt: 'a', dueAt: 'b', size: 1 });

describe('issue 10.15: status --json counts and lists come from one snapshot', () => {
  it('a file in grace.json that the queue already holds is counted once, as the item', () => {
    expect(reconcileGrace([g('/s/a'), g('/s/b')], [{ source: '/s/b' }])).toEqual([g('/s/a')]);
    expect(reconcileGrace([], [{ source: '/s/b' }])).toEqual([]);
  });

  it('status: counts.grace is the grace list; a claimed file is not also in grace, a gone one not at all', async () => {
    const stateDir = await tempStateDir();
    dirs.push(stateDir);
    // Beside the state folder, not inside it (spool.paths and stateDir must not overlap).
    const spool = await tempStateDir();
    dirs.push(spool);
    const store = await openStore(stateDir);
    // The file taken into the queue after the daemon last wrote grace.json.
    const { id } = await admitContent(store, '{"x":1}', { name: 'taken.json' });
    await fsp.writeFile(path.join(spool, 'waiting.json'), '{}');
    const grace = [
      g(path.join(spool, 'waiting.json')), // still there
      g('/spool/taken.json'), // the item's source: claimed since
      g(path.join(spool, 'delivered-meanwhile.json')), // gone from the folder
    ];
    await fsp.writeFile(path.join(stateDir, 'grace.json'), JSON.stringify(grace));
    await fsp.writeFile(
      path.join(stateDir, 'daemon.json'),
      JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), version: 't', transport: 't', spoolFolders: [spool] }), // prettier-ignore
    );
    const config = path.join(spool, '..', `${path.basename(spool)}.json`);
    dirs.push(config);
    await fsp.writeFile(
      config,
      JSON.stringify({
        spool: { paths: [spool] },
        stateDir,
        delivery: { transport: 'sandbox' },
        log: { file: null },
      }),
    );
    // This process stands in for the running daemon: it holds the queue lock as one.
    const lock = await acquireQueueLock(stateDir, 'daemon');
    if (lock.kind !== 'acquired') throw new Error('the queue lock is taken');
    let out = '';
    try {
      await statusCommand(
        { configFile: config, env: {}, cwd: stateDir, out: (t) => (out += t), err: () => {} },
        { json: true },
      );
    } finally {
      await lock.release();
    }
    const doc = JSON.parse(out) as StatusDoc;
    expect(doc.grace.map((x) => path.basename(x.path))).toEqual(['waiting.json']);
    expect(doc.counts.grace).toBe(doc.grace.length);
    expect(doc.items.map((i) => i.id)).toEqual([id]);
    expect(doc.counts.queued).toBe(1);
  });
});
