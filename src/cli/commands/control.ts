import { access } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { applyControl, type ControlRequest } from '../../control/control-ops.js';
import { submitControl } from '../../control/control-inbox.js';
import { crashPoint } from '../../platform/crash-point.js';
import { wakeDaemon } from '../../control/lock-endpoint.js';
import { acquireQueueLock, type LockHolder } from '../../control/queue-lock.js';
import { UsageError } from '../../errors/errors.js';
import { describeSetAside } from '../../platform/set-aside.js';
import { makeEventLog } from '../../log/logger.js';
import { idArg } from '../../queue/queue-read.js';
import { openQueueReader } from '../../queue/queue-reader.js';
import { makeQueueStore } from '../../queue/queue-store.js';
import { loadCommandConfig, type CommandContext } from '../context.js';
import { resolveItemId } from '../find-item.js';
import { whereLooked } from './where-looked.js';

/** Who asked, for the log line every change leaves. */
export function requestingUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (containers): the environment is the best we have.
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}

/**
 * `retry`, `hold`, `release`, `delete`. With a daemon running (it holds the queue lock), the daemon
 * applies the request itself, so it can never race a delivery in flight; without one, the command
 * takes the lock and changes the queue directly, so a daemon starting meanwhile waits for it.
 */
export async function controlCommand(
  ctx: CommandContext,
  op: ControlRequest['op'],
  idOrAll: { id?: string; all?: boolean },
): Promise<number> {
  const config = await loadCommandConfig(ctx);
  if (idOrAll.all && idOrAll.id) throw new UsageError(`${op}: give an item ID or --all, not both`);
  if (!idOrAll.all && !idOrAll.id)
    throw new UsageError(`${op} needs an item ID${op === 'retry' ? ' or --all' : ''}`);
  // Resolved on a read-only connection before anything is written or created: a bad or unknown
  // ID changes nothing (exit 2).
  const found = openQueueReader(config.stateDir);
  let id = '*';
  try {
    if (!idOrAll.all) {
      if (found.kind === 'none') {
        throw new UsageError(
          `no item with ID ${idArg(idOrAll.id!)}: the queue is empty; ${whereLooked(config)}`,
        );
      }
      id = await resolveItemId(found.reader, idOrAll.id!, config);
    }
  } finally {
    if (found.kind === 'database') found.reader.close();
  }
  if (id === '*' && !(await exists(config.stateDir))) {
    ctx.out('no deferred or failed items to retry');
    return 0;
  }
  const req: ControlRequest = {
    op,
    id,
    user: requestingUser(ctx.env),
    requestedAt: new Date().toISOString(),
  };

  const lock = await acquireQueueLock(config.stateDir, 'cli', {
    onSetAside: (e) => ctx.err(`imspooler: ${describeSetAside(e)}`),
  });
  if (lock.kind === 'daemon') return viaDaemon(ctx, config.stateDir, req, lock.holder);
  crashPoint('queue-locked');
  if (found.kind === 'none') {
    // No database (no daemon ever ran here): nothing to retry, and nothing is created.
    await lock.release();
    ctx.out('no deferred or failed items to retry');
    return 0;
  }
  const log = makeEventLog({
    level: config.log.level,
    file: config.log.file,
    stdout: false,
    addresses: config.log.addresses,
  });
  const store = makeQueueStore({ stateDir: config.stateDir });
  try {
    const r = await applyControl(store, req, log, Date.now);
    const later =
      r.count > 0 && op !== 'hold' && op !== 'delete'
        ? ' (the daemon is not running: sent when it starts)'
        : '';
    ctx.out(`${r.message}${later}`);
    return 0;
  } finally {
    await store.close();
    await lock.release();
    await log.close();
  }
}

async function viaDaemon(
  ctx: CommandContext,
  stateDir: string,
  req: ControlRequest,
  daemon: LockHolder,
): Promise<number> {
  const outcome = await submitControl(stateDir, req, { wake: () => wakeDaemon(stateDir) });
  switch (outcome.kind) {
    case 'answered':
      if (outcome.result.ok) {
        ctx.out(outcome.result.message);
        return 0;
      }
      if (outcome.result.exitCode === 1) throw new Error(outcome.result.message);
      throw new UsageError(outcome.result.message);
    case 'withdrawn':
      throw new Error(
        `the daemon (pid ${daemon.pid}) did not take the request within 5 s (starting, stopping or stuck?); nothing was changed, try again`,
      );
    case 'taken':
      ctx.out(
        `the daemon (pid ${daemon.pid}) took the request but did not answer within 5 s; it applies it (see its log)`,
      );
      return 0;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
