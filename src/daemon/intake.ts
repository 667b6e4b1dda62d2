import { basename } from 'node:path';
import type { Clock } from '../clock.js';
import { emailOf, type EventLog } from '../log/event-log.js';
import type { FsLike } from '../platform/fs-seam.js';
import type { ItemMeta } from '../queue/item-meta.js';
import type { AdmitInfo, AdmitResult } from '../queue/queue-store.js';
import type { ParseResult } from '../item/spool-item.js';
import type { ClaimResult } from '../spool/claim.js';
import type { DueEntry, TakeResult } from '../spool/due-entry.js';
import { crashPoint } from '../platform/crash-point.js';
import { errnoCode as errCode, errorText } from '../platform/errno.js';
import { readClaimed } from './read-claimed.js';
import { makeStrandedFiles } from './stranded-files.js';

/** What `admit` answers: the store's own types, so intake and the store cannot drift apart. */
export type { AdmitInfo, AdmitResult };

/** The queue operations intake needs. */
export interface IntakeStore {
  claimPath(sourceFileName: string): string;
  admit(claimedPath: string, info: AdmitInfo): Promise<AdmitResult>;
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
  /** `from` is bytes for a name that is not valid UTF-8. */
  claim: (from: string | Buffer, to: string) => Promise<ClaimResult>;
  parse: (bytes: Buffer) => Promise<ParseResult>;
  itemId: (bytes: Buffer) => string;
  /** Called for every item that entered the queue and is due now. */
  onQueued: (meta: ItemMeta) => void;
  /** A file taken from the spool folder could not be written into the queue (disk full, I/O error). */
  onStranded?: (source: string, error: unknown) => void;
  /** Every such file is in the queue now: the queue can be written again. */
  onUnstranded?: () => void;
}

/**
 * What admitting a claimed entry came to: in the queue (`taken`), kept until the queue can be
 * written (`kept`), or `refused`: it could not be opened just now (a Windows lock, permissions).
 */
export type Admitted =
  | Extract<TakeResult, { kind: 'taken' | 'kept' }>
  | { kind: 'refused'; code: string; message: string };

type Taken = Extract<TakeResult, { kind: 'taken' }>;

/** `code` of the `retry-later` result when the file could not be moved (locked, or the folder read-only). */
export const SPOOL_FILE_LOCKED = 'SpoolFileLocked';

/**
 * Takes a due spool file into the queue: claim (atomic move out of the spool folder), then read,
 * parse and admit, and says what came of it ({@link TakeResult}). Throws only for the unexpected
 * (a bug); a locked file, a full disk or a file that went away are results.
 */
export function makeIntake(deps: IntakeDeps) {
  const { store, fs, log } = deps;
  const iso = () => new Date(deps.clock.now()).toISOString();

  // Admissions that failed after the file left the spool folder wait here for the queue.
  const stranded = makeStrandedFiles({
    clock: deps.clock,
    log,
    ...(deps.onUnstranded ? { onUnstranded: deps.onUnstranded } : {}),
  });
  // The monitor hands over several files at once; two files with the same content are one item,
  // so their admissions (find the ID, then write it) must not interleave.
  const admitting = new Map<string, Promise<void>>();
  const oneAtATime = <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const run = (admitting.get(id) ?? Promise.resolve()).then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    admitting.set(id, tail);
    void tail.then(() => {
      if (admitting.get(id) === tail) admitting.delete(id);
    });
    return run;
  };

  async function quarantine(
    claimedPath: string,
    info: { source: string; firstSeenAt: string; code: string; message: string },
  ): Promise<Taken> {
    const meta = await store.quarantineEntry(claimedPath, info);
    // Not a content ID (nothing was read), but the one status and show use for this entry, so
    // support staff can find its log line by it.
    log.event('item.quarantined', 'failure', info.message, {
      itemId: meta.id,
      filePath: info.source,
      error: { code: info.code, message: info.message },
    });
    return { kind: 'taken', as: 'quarantined', id: meta.id };
  }

  /** Parses the bytes read; the store's part that follows may run again from them, later. */
  async function prepare(
    claimedPath: string,
    source: string,
    firstSeenAt: string,
    bytes: Buffer,
  ): Promise<() => Promise<Taken>> {
    const parsed = await deps.parse(bytes);
    const id = parsed.ok ? parsed.item.id : deps.itemId(bytes);
    const info = { source, firstSeenAt, size: bytes.length, id, parsed, bytes };
    return () =>
      oneAtATime(id, async () => report(await store.admit(claimedPath, info), id, source, parsed));
  }

  /**
   * Reads a claimed entry without following links, then admits it. Also used at crash recovery.
   * When the queue cannot be written the file is kept and admitted later (`kept`).
   */
  async function admitClaimed(
    claimedPath: string,
    source: string,
    firstSeenAt: string,
  ): Promise<Admitted> {
    // What is left to do: everything, or once the bytes are read only the store's part (the
    // claimed file may already have moved into the queue's data folder).
    let admit: (() => Promise<Taken>) | undefined;
    const attempt = async (): Promise<Admitted> => {
      if (admit) return admit();
      const looked = await readClaimed(fs, claimedPath, deps.maxBytes);
      if (looked.kind === 'refused') return looked;
      if (looked.kind === 'unfit') {
        const { code, message } = looked;
        return quarantine(claimedPath, { source, firstSeenAt, code, message });
      }
      admit = await prepare(claimedPath, source, firstSeenAt, looked.bytes);
      return admit();
    };
    try {
      return await attempt();
    } catch (e) {
      stranded.strand(claimedPath, () => attempt().then(refusedAsError), e);
      deps.onStranded?.(source, e);
      const message = `could not take ${source} into the queue (${errorText(e)}); trying again`;
      log.diag('warn', message, { claimed_path: claimedPath });
      return { kind: 'kept', code: errCode(e) ?? 'QueueUnwritable', message };
    }
  }

  function report(res: AdmitResult, id: string, source: string, parsed: ParseResult): Taken {
    // The addresses as read, for every line about this content (a duplicate's too).
    const email = emailOf(parsed.ok ? parsed.item : undefined);
    crashPoint('admitted');
    switch (res.kind) {
      case 'queued':
        log.event('item.claimed', 'success', 'spool file taken into the queue', {
          itemId: id,
          filePath: source,
          ...email,
          extra: { format: res.meta.format, kind: res.meta.kind, size: res.meta.size },
        });
        deps.onQueued(res.meta);
        break;
      case 'duplicate':
        log.event(
          'item.claimed',
          'success',
          `same content already ${res.existingState}; the copy was removed`,
          {
            itemId: id,
            filePath: source,
            ...email,
            extra: { duplicate_of_state: res.existingState },
          },
        );
        break;
      case 'quarantined': {
        const q = res.meta.quarantine ?? { code: 'Unknown', message: 'quarantined' };
        log.event('item.quarantined', 'failure', q.message, {
          itemId: id,
          filePath: source,
          error: q,
        });
        break;
      }
    }
    return { kind: 'taken', as: res.kind, id };
  }

  /** Claims one due file and takes it into the queue; see {@link TakeResult}. */
  async function takeDue(entry: DueEntry): Promise<TakeResult> {
    if (stranded.count() > 0 && !(await stranded.retry())) {
      // The file stays in the spool folder; the monitor offers it again later.
      return {
        kind: 'retry-later',
        reason: 'queue-unwritable',
        code: stranded.lastCode() ?? 'QueueUnwritable',
        message: `the queue cannot be written just now; ${entry.path} stays where it is`,
      };
    }
    const firstSeenAt = new Date(entry.firstSeenAt).toISOString();
    // Bytes for a name that is not valid UTF-8: every file operation on the entry uses them.
    const from = entry.rawPath ?? entry.path;
    const dest = store.claimPath(basename(entry.path));
    let claimed: ClaimResult;
    try {
      claimed = await deps.claim(from, dest);
    } catch (e) {
      // The file system said no (the state volume full during a copy across volumes...): nothing
      // was taken. An error without a code is a bug, and stays one.
      const code = errCode(e);
      if (code === undefined) throw e;
      return { kind: 'retry-later', reason: 'claim-failed', code, message: errorText(e) };
    }
    if (claimed === 'gone') {
      log.event(
        'spool.cleared',
        'success',
        'file left the spool folder before it was taken (the client handled it)',
        { filePath: entry.path },
      );
      return { kind: 'gone' };
    }
    if (claimed === 'busy') {
      // Windows reports a lock and a folder this account may not change alike (EPERM, EACCES).
      return {
        kind: 'retry-later',
        reason: 'locked',
        code: SPOOL_FILE_LOCKED,
        message: `spool file is locked by another process; will try again: ${entry.path}`,
      };
    }
    crashPoint('claimed');
    const r = await admitClaimed(dest, entry.path, firstSeenAt);
    if (r.kind !== 'refused') return r;
    // Put it back where the client left it (a rename: no bytes are read or written), so the
    // monitor tries again later and one unreadable file does not hold up the others.
    const back = await fs.lstat(from).then(
      () => false,
      () =>
        fs.rename(dest, from).then(
          () => true,
          () => false,
        ),
    );
    log.diag(
      'warn',
      `cannot read ${entry.path} (${r.message}); ${back ? 'left in the spool folder' : 'kept'}, trying again later`,
    );
    if (!back) {
      stranded.hold(dest, () => admitClaimed(dest, entry.path, firstSeenAt).then(refusedAsError));
    }
    return { kind: 'retry-later', reason: 'unreadable', code: r.code, message: r.message };
  }

  return { takeDue, admitClaimed, strandedCount: stranded.count, now: iso };
}

/** For a stranded file's retry, which fails by throwing: still not readable is a failure. */
function refusedAsError(r: Admitted): void {
  // No code: the queue was not the problem (a code would be reported as the queue's).
  if (r.kind === 'refused') throw new Error(r.message);
}
