import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { makeIntake } from '../../src/daemon/intake.js';
import { makeMemoryEventLog } from '../../src/log/logger.js';
import { realFs } from '../../src/platform/fs-seam.js';
import { makeQueueStore } from '../../src/queue/queue-store.js';
import { claimFile } from '../../src/spool/claim.js';
import { itemIdFor } from '../../src/item/item-id.js';
import { parseSpoolItem } from '../../src/item/parse-item.js';

let root: string;
beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), 'imspooler-intake-'));
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('intake with several due files at once', () => {
  it('keeps copies of one content one item when they are taken in parallel', async () => {
    const spool = join(root, 'spool');
    await fsp.mkdir(spool);
    const store = makeQueueStore({ stateDir: join(root, 'state') });
    await store.open();
    const log = makeMemoryEventLog();
    const queued: string[] = [];
    const intake = makeIntake({
      store,
      fs: realFs,
      log,
      clock: systemClock,
      maxBytes: 1 << 20,
      claim: (from, to) => claimFile(realFs, from, to, {}),
      parse: (bytes) => parseSpoolItem(bytes, { maxBytes: 1 << 20 }),
      itemId: itemIdFor,
      onQueued: (meta) => queued.push(meta.id),
    });
    // Four messages, each dropped three times under different names, all due together.
    const paths: string[] = [];
    for (let copy = 0; copy < 3; copy++) {
      for (let m = 0; m < 4; m++) {
        const path = join(spool, `copy${copy}-msg${m}.json`);
        const body = { from: 'alice@contoso.com', to: ['bob@contoso.com'], messages: [{ text: `message ${m}` }] }; // prettier-ignore
        await fsp.writeFile(path, JSON.stringify(body));
        paths.push(path);
      }
    }
    await Promise.all(
      paths.map(async (path) => {
        const st = await fsp.lstat(path);
        await intake.takeDue({ path, folder: spool, kind: 'file', size: st.size, mtimeMs: st.mtimeMs, firstSeenAt: Date.now() }); // prettier-ignore
      }),
    );
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
