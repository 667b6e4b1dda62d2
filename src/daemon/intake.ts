import { constants } from 'node:fs';
import { basename } from 'node:path';
import type { Clock } from '../clock.js';
import { emailOf, type EventLog } from '../log/event-log.js';
import type { FsLike } from '../platform/fs-seam.js';
import type { ItemMeta } from '../queue/item-meta.js';
import type { AdmitInfo, AdmitResult } from '../queue/queue-store.js';
import type { ParseResult } from '../item/spool-item.js';
import type { DueEntry } from '../spool/spool-monitor.js';
import { crashPoint } from '../platform/crash-point.js';

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
  claim: (from: string | Buffer, to: string) => Promise<'claimed' | 'gone' | 'busy'>;
  parse: (bytes: Buffer) => Promise<ParseResult>;
  itemId: (bytes: Buffer) => string;
  /** Called for every item that entered the queue and is due now. */
  onQueued: (meta: ItemMeta) => void;
  /** A file taken from the spool folder could not be written into the queue (disk full, I/O error). */
  onStranded?: (source: string, error: unknown) => void;
  /** Every such file is in the queue now: the queue can be written again. */
  onUnstranded?: () => void;
}

/** First and longest pause before admitting a stranded file again (the disk was full or failing). */
const STRANDED_RETRY_MIN_MS = 500;
const STRANDED_RETRY_MAX_MS = 30_000;
/** Errors opening a claimed file that mean "not now" (Windows locks, permissions being fixed). */
const READ_REFUSED = new Set(['EACCES', 'EPERM', 'EBUSY']);

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** `code` of the error `takeDue` rejects with when the file could not be moved (locked, or the folder read-only). */
export const SPOOL_FILE_LOCKED = 'SpoolFileLocked';

/** The claimed file could not be opened for reading; it goes back to the spool folder. */
class ReadRefused extends Error {}

/**
 * Takes a due spool file into the queue: claim (atomic move out of the spool folder), then read,
 * parse and admit. Throws when the file is locked so the monitor tries again on its next pass.
 */
export function makeIntake(deps: IntakeDeps) {
  const { store, fs, log } = deps;
  const iso = () => new Date(deps.clock.now()).toISOString();

  // Admissions that failed after the file left the spool folder (disk full, I/O error) are retried
  // here, with backoff, until the queue can be written again. Meanwhile no new file is claimed:
  // the others wait safely in the spool folder.
  const stranded = new Map<string, () => Promise<void>>();
  // The monitor hands over several files at once; two files with the same content are one item,
  // so their admissions (find the ID, then write it) must not interleave.
  const admitting = new Map<string, Promise<void>>();
  const oneAtATime = (id: string, fn: () => Promise<void>): Promise<void> => {
    const run = (admitting.get(id) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    admitting.set(id, tail);
    void tail.then(() => {
      if (admitting.get(id) === tail) admitting.delete(id);
    });
    return run;
  };
  let retryDelay = STRANDED_RETRY_MIN_MS;
  let retryTimer: unknown;
  let retrying: Promise<boolean> | undefined;
  // Why the queue could not be written the last time (ENOSPC, EIO...), for the caller's report.
  let strandedCode: string | undefined;

  const retryStranded = (): Promise<boolean> =>
    (retrying ??= (async () => {
      for (const [path, again] of [...stranded]) {
        stranded.delete(path);
        try {
          await again();
        } catch (e) {
          if (errCode(e) !== 'ENOENT') {
            strandedCode = errCode(e);
            stranded.set(path, again);
            return false;
          }
          // A step that did complete moved it on; the next start's recovery finishes the job.
          log.diag('error', `could not finish taking ${path} into the queue: ${errText(e)}`);
        }
      }
      retryDelay = STRANDED_RETRY_MIN_MS;
      deps.onUnstranded?.();
      return true;
    })().finally(() => (retrying = undefined)));

  const armRetry = (): void => {
    if (retryTimer !== undefined) return;
    retryTimer = deps.clock.setTimeout(() => {
      void retryStranded().then((done) => {
        retryTimer = undefined;
        if (done) return;
        retryDelay = Math.min(retryDelay * 2, STRANDED_RETRY_MAX_MS);
        armRetry();
      });
    }, retryDelay);
  };

  /** Reads a claimed entry without following links, then admits it. Also used at crash recovery. */
  async function admitClaimed(
    claimedPath: string,
    source: string,
    firstSeenAt: string,
  ): Promise<void> {
    // What is left to do: everything, or once the bytes are read only the store's part (the
    // claimed file may already have moved into the queue's data folder).
    let step = () => readAndAdmit(claimedPath, source, firstSeenAt, (next) => (step = next));
    try {
      await step();
    } catch (e) {
      if (e instanceof ReadRefused) throw e;
      strandedCode = errCode(e);
      stranded.set(claimedPath, () => step());
      deps.onStranded?.(source, e);
      log.diag('warn', `could not take ${source} into the queue (${errText(e)}); trying again`, {
        claimed_path: claimedPath,
      });
      armRetry();
    }
  }

  async function readAndAdmit(
    claimedPath: string,
    source: string,
    firstSeenAt: string,
    setStep: (next: () => Promise<void>) => void,
  ): Promise<void> {
    const quarantine = async (code: string, message: string) => {
      const meta = await store.quarantineEntry(claimedPath, { source, code, message, firstSeenAt });
      // Not a content ID (nothing was read), but the one status and show use for this entry, so
      // support staff can find its log line by it.
      log.event('item.quarantined', 'failure', message, {
        itemId: meta.id,
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
    let bytes: Buffer;
    try {
      const handle = await fs.open(claimedPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
      try {
        bytes = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (e) {
      throw READ_REFUSED.has(errCode(e) ?? '') ? new ReadRefused(errText(e)) : e;
    }
    const parsed = await deps.parse(bytes);
    const id = parsed.ok ? parsed.item.id : deps.itemId(bytes);
    const info = { source, firstSeenAt, size: bytes.length, id, parsed, bytes };
    const admit = () =>
      oneAtATime(id, async () => report(await store.admit(claimedPath, info), id, source, parsed));
    setStep(admit);
    await admit();
  }

  function report(res: AdmitResult, id: string, source: string, parsed: ParseResult): void {
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
        return;
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
    if (stranded.size > 0 && !(await retryStranded())) {
      // Rejecting keeps the file in the spool folder; the monitor offers it again later.
      throw Object.assign(
        new Error(`the queue cannot be written just now; ${entry.path} stays where it is`),
        { code: strandedCode ?? 'QueueUnwritable' },
      );
    }
    const firstSeenAt = new Date(entry.firstSeenAt).toISOString();
    const dest = store.claimPath(basename(entry.path));
    const r = await deps.claim(entry.rawPath ?? entry.path, dest);
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
      // Windows reports a lock and a folder this account may not change alike (EPERM, EACCES).
      throw Object.assign(
        new Error(`spool file is locked by another process; will try again: ${entry.path}`),
        { code: SPOOL_FILE_LOCKED },
      );
    }
    crashPoint('claimed');
    try {
      await admitClaimed(dest, entry.path, firstSeenAt);
    } catch (e) {
      if (!(e instanceof ReadRefused)) throw e;
      // Put it back where the client left it (a rename: no bytes are read or written), so the
      // monitor tries again later and one unreadable file does not hold up the others.
      const back = await fs.lstat(entry.rawPath ?? entry.path).then(
        () => false,
        () =>
          fs.rename(dest, entry.rawPath ?? entry.path).then(
            () => true,
            () => false,
          ),
      );
      log.diag(
        'warn',
        `cannot read ${entry.path} (${e.message}); ${back ? 'left in the spool folder' : 'kept'}, trying again later`,
      );
      if (!back) stranded.set(dest, () => admitClaimed(dest, entry.path, firstSeenAt));
      throw e;
    }
  }

  /** Files taken from a spool folder and waiting for the queue to be writable again. */
  const strandedCount = (): number => stranded.size;

  return { takeDue, admitClaimed, strandedCount, now: iso };
}
