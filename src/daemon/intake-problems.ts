import path from 'node:path';
import { SPOOL_FILE_LOCKED } from './intake.js';
import type { ProblemBoard, ProblemReport } from './problems.js';
import { errnoCode, errorText } from '../platform/errno.js';

/**
 * Codes that mean the state folder's volume has no room (the quota counts as full): from the file
 * system, or as the queue database names them (queue-store.ts).
 */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
/** Codes that mean the state folder cannot be written at all. */
const STATE_BROKEN = new Set(['EROFS', 'EIO', 'SQLITE_IOERR', 'SQLITE_READONLY']);

/**
 * Pure: why a due spool file could not be taken into the queue, as a problem keyed so that one
 * cause (a read-only folder, a full state volume) is one problem however many files meet it.
 * `error` is an error or intake's `retry-later` result: both have a `code` and a `message`.
 */
export function describeIntakeFailure(
  file: string,
  folder: string,
  error: unknown,
  stateDir: string,
): { key: string; problem: ProblemReport } {
  const code = errnoCode(error) ?? 'Unknown';
  const name = path.basename(file);
  if (NO_SPACE.has(code)) {
    return {
      key: 'state:space',
      problem: {
        subject: stateDir,
        code,
        message: `no space left for the state folder ${stateDir} (${code}): new messages stay in the spool folders and are not delivered until space is freed on that volume`,
      },
    };
  }
  if (STATE_BROKEN.has(code) || code === 'QueueUnwritable') {
    return {
      key: `state:${code}`,
      problem: {
        subject: stateDir,
        code,
        message: `the state folder ${stateDir} cannot be written (${code}): new messages stay in the spool folders; check that volume`,
      },
    };
  }
  if (code === SPOOL_FILE_LOCKED) {
    return {
      key: `claim:${folder}`,
      problem: {
        subject: folder,
        code,
        message: `cannot move ${name} out of ${folder}: another process holds it, or the account the daemon runs as may read but not change that folder; it stays there and is tried again (if this lasts, give that account write access to the folder)`,
      },
    };
  }
  const text = errorText(error);
  return {
    key: `intake:${folder}:${code}`,
    problem: {
      subject: folder,
      code,
      message: `cannot take ${name} from ${folder} into the queue (${text}); it stays there and is tried again`,
    },
  };
}

/**
 * Tracks which spool files failed to be taken, and why, on the problem board: a problem is over
 * once no file still fails for that reason (taken since, or removed from the folder).
 */
export function makeIntakeProblems(board: ProblemBoard, stateDir: string) {
  /** Failing files by problem key. */
  const failing = new Map<string, Set<string>>();
  const forget = (file: string, keep?: string): void => {
    for (const [key, files] of failing) {
      if (key === keep || !files.delete(file) || files.size > 0) continue;
      failing.delete(key);
      board.resolve(key);
    }
  };
  /** The state folder took what it could not before. */
  const stateWritable = (): void => {
    for (const key of [...failing.keys()]) {
      if (!key.startsWith('state:')) continue;
      failing.delete(key);
      board.resolve(key);
    }
  };
  return {
    failed(file: string, folder: string, error: unknown): void {
      const { key, problem } = describeIntakeFailure(file, folder, error, stateDir);
      forget(file, key);
      let files = failing.get(key);
      if (!files) failing.set(key, (files = new Set()));
      files.add(file);
      board.report(key, problem);
    },
    /** Taken into the queue (so the state folder is writable too). */
    taken(file: string): void {
      forget(file);
      stateWritable();
    },
    stateWritable,
    /** Left the spool folder by other means (the client, a person). */
    gone: (file: string): void => forget(file),
  };
}
