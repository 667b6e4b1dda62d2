import * as fsp from 'node:fs/promises';
import path from 'node:path';
import type { ItemMeta } from '../../../src/queue/item-meta.js';
import { makeQueueStore } from '../../../src/queue/legacy/file-queue-store.js';
import type { ParseResult } from '../../../src/item/spool-item.js';
import { manualClock } from '../../support/manual-clock.js';
import { okParse, sha, T0 } from './helpers.js';

/** What {@link seedFileQueue} wrote, by name. */
export interface Seeded {
  ids: Record<
    'incoming' | 'active' | 'deferred' | 'held' | 'failed' | 'quarantined' | 'entry' | 'delivered',
    string
  >;
  /** Bytes of each item with content, by ID. */
  bytes: Map<string, Buffer>;
  /** A spool file claimed by 0.1.0 but not yet admitted. */
  claimed: string;
}

const parsed = (id: string, to: string[]): ParseResult =>
  okParse(id, 'hello', { to, cc: [], messages: [{ text: 'hi' }] });

/**
 * A state folder exactly as imspooler 0.1.0 wrote it, written by 0.1.0's own store code: one item
 * in each queue state (the active one with a group caught `sending`, one `unclear`), a quarantined
 * entry, a delivered tombstone, a file left in claimed/ and an operator request in control/.
 * `items` are real JSON spool items the sandbox can deliver (`jsonItem` of the e2e harness).
 */
export async function seedFileQueue(
  stateDir: string,
  content: (n: number, to: string[]) => string = (n) => `{"item":${n}}`,
): Promise<Seeded> {
  const store = makeQueueStore({
    stateDir,
    clock: manualClock(T0),
  });
  await store.open();
  const bytes = new Map<string, Buffer>();
  const admit = async (n: number, to: string[], ok = true): Promise<ItemMeta> => {
    const text = content(n, to);
    const id = sha(text);
    const claimed = store.claimPath(`item-${n}.json`);
    await fsp.writeFile(claimed, text);
    bytes.set(id, Buffer.from(text));
    const res = await store.admit(claimed, {
      source: `C:\\Users\\alice\\History Spooler\\item-${n}.json`,
      firstSeenAt: new Date(T0 - n * 60_000).toISOString(),
      size: text.length,
      id,
      parsed: ok ? parsed(id, to) : { ok: false, code: 'InvalidJson', message: 'not JSON' },
    });
    if (res.kind === 'duplicate') throw new Error('seed: duplicate');
    return res.meta;
  };
  const group = (to: string[], status: 'sending' | 'unclear' | 'sent') => ({
    status,
    recipients: { to, cc: [] },
    itemClass: 'IPM.Note.Microsoft.Missed',
    ...(status === 'sent' ? { sentAt: new Date(T0).toISOString() } : {}),
  });
  const attempt = (n: number) => ({
    n,
    startedAt: new Date(T0 - 30_000).toISOString(),
    durationMs: 12,
    outcome: 'deferred' as const,
    group: 'org' as const,
    error: { code: 'ErrorServerBusy', message: 'busy' },
    nextAttemptAt: new Date(T0 + 3_600_000).toISOString(),
  });

  const incoming = await admit(1, ['bob@contoso.com']);
  let active = await admit(2, ['bob@contoso.com', 'eve@fabrikam.com']);
  active = await store.save(
    {
      ...active,
      attempts: [attempt(1)],
      groups: {
        org: group(['bob@contoso.com'], 'sent'),
        fed: group(['eve@fabrikam.com'], 'sending'),
      },
    },
    'active',
  );
  let deferred = await admit(3, ['carol@contoso.com']);
  deferred = await store.save(
    {
      ...deferred,
      attempts: [attempt(1), attempt(2)],
      groups: { org: group(['carol@contoso.com'], 'unclear') },
      nextAttemptAt: new Date(T0 + 3_600_000).toISOString(),
      lastError: { code: 'ErrorServerBusy', message: 'busy' },
    },
    'deferred',
  );
  let held = await admit(4, ['dave@contoso.com']);
  held = await store.save({ ...held, heldBy: 'operator', heldReason: 'held by bob' }, 'held');
  let failed = await admit(5, ['frank@contoso.com']);
  failed = await store.save(
    { ...failed, lastError: { code: 'ErrorInvalidRecipients', message: 'no such user' } },
    'failed',
  );
  const quarantined = await admit(6, [], false);
  const entryClaimed = store.claimPath('link.json');
  await fsp.writeFile(entryClaimed, 'stand-in for a FIFO');
  const entry = await store.quarantineEntry(entryClaimed, {
    source: 'C:\\spool\\link.json',
    code: 'NotRegularFile',
    message: 'not a regular file',
    firstSeenAt: new Date(T0).toISOString(),
  });
  const delivered = await admit(7, ['grace@contoso.com']);
  await store.markDelivered({ ...delivered, attempts: [attempt(1), attempt(2)] });
  bytes.delete(delivered.id);
  bytes.delete(entry.id);
  const claimed = store.claimPath('late.json');
  await fsp.writeFile(claimed, content(8, ['heidi@contoso.com']));
  await fsp.mkdir(path.join(stateDir, 'control'), { recursive: true });
  await fsp.writeFile(path.join(stateDir, 'control', 'x.result'), '{"ok":true,"message":"old"}');
  return {
    ids: {
      incoming: incoming.id,
      active: active.id,
      deferred: deferred.id,
      held: held.id,
      failed: failed.id,
      quarantined: quarantined.id,
      entry: entry.id,
      delivered: delivered.id,
    },
    bytes,
    claimed,
  };
}
