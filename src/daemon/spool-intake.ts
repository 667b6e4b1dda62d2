import { dirname } from 'node:path';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config-types.js';
import type { EventLog } from '../log/event-log.js';
import type { FsLike } from '../platform/fs-seam.js';
import type { ItemMeta } from '../queue/item-meta.js';
import type { QueueStore } from '../queue/queue-store.js';
import { watchFolderChokidar } from '../spool/chokidar-watch.js';
import { claimFile } from '../spool/claim.js';
import { watchFolderNative } from '../spool/folder-watch.js';
import { itemIdFor } from '../item/item-id.js';
import { parseSpoolItem } from '../item/parse-item.js';
import { makeSpoolMonitor } from '../spool/spool-monitor.js';
import { makeIntake } from './intake.js';
import { makeIntakeProblems } from './intake-problems.js';
import type { ProblemBoard } from './problems.js';
import { errorText } from '../platform/errno.js';

/** Due spool files taken in at once (intake.ts keeps two copies of one content one item). */
const INTAKE_CONCURRENCY = 8;

/** What the spool side of the daemon is built from. */
export interface SpoolIntakeDeps {
  config: Pick<Config, 'spool' | 'stateDir'>;
  store: QueueStore;
  fs: FsLike;
  log: EventLog;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** Folder problems and "no spool folder" go here (status, /healthz, the log). */
  problems: ProblemBoard;
  /** Every item that entered the queue (due now). */
  onQueued(meta: ItemMeta): void;
  /** The files in their grace period changed (grace.json). */
  onGraceChange(): void;
  /** The spool folders `auto` finds changed. */
  onFoldersChanged(folders: string[]): void;
  /** A folder problem began (`problem` its code) or ended (undefined), for metrics. */
  onFolderProblem?(folder: string, problem: string | undefined): void;
}

/**
 * The spool folders watched and their due files taken into the queue: the monitor (watcher,
 * rescan, grace periods) hands each due file to intake (claim, read, parse, admit), and what
 * keeps a file or a folder from being taken is reported on the problem board.
 */
export function makeSpoolIntake(d: SpoolIntakeDeps) {
  const { config, fs, log, clock, problems } = d;
  const intakeProblems = makeIntakeProblems(problems, config.stateDir);

  const intake = makeIntake({
    store: d.store,
    fs,
    log,
    clock,
    maxBytes: config.spool.maxBytes,
    claim: (from, to) => claimFile(fs, from, to, {}),
    parse: (bytes) => parseSpoolItem(bytes, { maxBytes: config.spool.maxBytes }),
    itemId: itemIdFor,
    onQueued: (meta) => d.onQueued(meta),
    onStranded: (source, e) => intakeProblems.failed(source, dirname(source), e),
    onUnstranded: () => intakeProblems.stateWritable(),
  });

  const monitor = makeSpoolMonitor({
    onGraceChange: () => d.onGraceChange(),
    paths: config.spool.paths,
    onFoldersChanged: (folders) => d.onFoldersChanged(folders),
    graceMs: config.spool.grace,
    watch: config.spool.watcher === 'native' ? watchFolderNative : watchFolderChokidar,
    // Several due files at once, so their admissions can share the store's commits.
    dueConcurrency: INTAKE_CONCURRENCY,
    rescanMs: config.spool.rescan,
    clock,
    fs,
    env: d.env,
    platform: d.platform,
    onDetected: (path) =>
      log.event(
        'spool.detected',
        'success',
        'new file in a spool folder; waiting out the grace period',
        { filePath: path },
      ),
    onCleared: (path) => {
      intakeProblems.gone(path);
      log.event(
        'spool.cleared',
        'success',
        'file left the spool folder within the grace period (the client handled it)',
        { filePath: path },
      );
    },
    onDue: async (entry) => {
      const r = await intake.takeDue(entry).catch((e: unknown) => {
        intakeProblems.failed(entry.path, entry.folder, e);
        throw e;
      });
      if (r.kind === 'retry-later') intakeProblems.failed(entry.path, entry.folder, r);
      // Taken, unless it waits for the state folder (reported by onStranded).
      else if (intake.strandedCount() === 0) intakeProblems.taken(entry.path);
      return r;
    },
    onFolderProblem: (folder, error) => {
      d.onFolderProblem?.(folder, error ? (error.code ?? String(error)) : undefined);
      if (!error) return problems.resolve(`folder:${folder}`);
      problems.report(`folder:${folder}`, {
        subject: folder,
        code: error.code ?? 'Unknown',
        message: `spool folder problem: ${folder}: ${error.message}; files there are not taken until it can be read`,
      });
    },
    onNoFolders: (reason) =>
      reason === undefined
        ? problems.resolve('spool:none')
        : problems.report('spool:none', {
            subject: `spool.paths ${JSON.stringify(config.spool.paths)}`,
            code: 'NoSpoolFolder',
            message: reason,
          }),
    onWarning: (message, error) =>
      log.diag('warn', error === undefined ? message : `${message}: ${errorText(error)}`),
  });

  return { intake, monitor };
}
