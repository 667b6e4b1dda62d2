import { constants } from 'node:fs';
import { basename } from 'node:path';
import type { Clock } from '../clock.js';
import type { EventLog } from '../log/event-log.js';
import type { FsLike } from '../platform/fs-seam.js';
import type { ItemMeta, ItemState } from '../queue/item-meta.js';
import type { ParseResult } from '../spool/spool-item.js';
import { crashPoint } from './crash-point.js';

/** What `admit` answers (queue/queue-store.ts). */
export type AdmitResult =
  | { kind: 'queued'; meta: ItemMeta }
  | { kind: 'duplicate'; id: string; existingState: ItemState | 'delivered' }
  | { kind: 'quarantined'; meta: ItemMeta };

/** The queue operations intake needs. */
export interface IntakeStore {
  claimPath(sourceFileName: string): string;
  admit(
    claimedPath: string,
    info: { source: string; firstSeenAt: string; size: number; id: string; parsed: ParseResult },
  ): Promise<AdmitResult>;
  quarantineEntry(
    claimedPath: string,
    info: { source: string; code: string; message: string; firstSeenAt: string },
  ): Promise<ItemMeta>;
}

export interface IntakeDeps {
  store: IntakeStore;
  fs: FsLike;
  log: EventLog;
  clock: Clock;
  maxBytes: number;
  claim: (from: string, to: string) => Promise<'claimed' | 'gone' | 'busy'>;
  parse: (bytes: Buffer) => Promise<ParseResult>;
  itemId: (bytes: Buffer) => string;
  /** Called for every item that entered the queue and is due now. */
  onQueued: (meta: ItemMeta) => void;
}

/** A spool entry whose grace period is over (spool/spool-monitor.ts). */
export interface DueEntry {
  path: string;
  kind: 'file' | 'notRegular';
  size: number;
  mtimeMs: number;
  firstSeenAt?: number;
}

/**
 * Takes a due spool file into the queue: claim (atomic move out of the spool folder), then read,
 * parse and admit. Throws when the file is locked so the monitor tries again on its next pass.
 */
export function makeIntake(deps: IntakeDeps) {
  const { store, fs, log } = deps;
  const iso = () => new Date(deps.clock.now()).toISOString();

  /** Reads a claimed entry without following links, then admits it. Also used at crash recovery. */
  async function admitClaimed(
    claimedPath: string,
    source: string,
    firstSeenAt: string,
  ): Promise<void> {
    const quarantine = async (code: string, message: string) => {
      await store.quarantineEntry(claimedPath, { source, code, message, firstSeenAt });
      log.event('item.quarantined', 'failure', message, {
        filePath: source,
        error: { code, message },
      });
    };
    const st = await fs.lstat(claimedPath);
    if (!st.isFile()) {
      return quarantine(
        'NotRegularFile',
        'not a regular file (symbolic link, FIFO or device); it was not followed or read',
      );
    }
    if (st.nlink > 1) {
      return quarantine(
        'HardLink',
        'the file has other hard links (it may belong to another folder); it was not read',
      );
    }
    if (st.size > deps.maxBytes) {
      return quarantine(
        'TooLarge',
        `the file is ${st.size} bytes, over spool.maxBytes (${deps.maxBytes})`,
      );
    }
    // O_NOFOLLOW: a link swapped in after the lstat above is refused rather than followed.
    const handle = await fs.open(claimedPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    let bytes: Buffer;
    try {
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
    const parsed = await deps.parse(bytes);
    const id = parsed.ok ? parsed.item.id : deps.itemId(bytes);
    const res = await store.admit(claimedPath, {
      source,
      firstSeenAt,
      size: bytes.length,
      id,
      parsed,
    });
    crashPoint('admitted');
    switch (res.kind) {
      case 'queued':
        log.event('item.claimed', 'success', 'spool file taken into the queue', {
          itemId: id,
          filePath: source,
          extra: { format: res.meta.format, size: res.meta.size },
        });
        deps.onQueued(res.meta);
        return;
      case 'duplicate':
        log.event(
          'item.claimed',
          'success',
          `same content already ${res.existingState}; the copy was removed`,
          {
            itemId: id,
            filePath: source,
            extra: { duplicate_of_state: res.existingState },
          },
        );
        return;
      case 'quarantined': {
        const q = res.meta.quarantine ?? { code: 'Unknown', message: 'quarantined' };
        log.event('item.quarantined', 'failure', q.message, {
          itemId: id,
          filePath: source,
          error: q,
        });
        return;
      }
    }
  }

  async function takeDue(entry: DueEntry): Promise<void> {
    const firstSeenAt = new Date(entry.firstSeenAt ?? deps.clock.now()).toISOString();
    const dest = store.claimPath(basename(entry.path));
    const r = await deps.claim(entry.path, dest);
    if (r === 'gone') {
      log.event(
        'spool.cleared',
        'success',
        'file left the spool folder before it was taken (the client handled it)',
        {
          filePath: entry.path,
        },
      );
      return;
    }
    if (r === 'busy') {
      throw new Error(`spool file is locked by another process; will try again: ${entry.path}`);
    }
    crashPoint('claimed');
    await admitClaimed(dest, entry.path, firstSeenAt);
  }

  return { takeDue, admitClaimed, now: iso };
}
