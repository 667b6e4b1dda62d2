import { userInfo } from 'node:os';
import { applyControl, type ControlRequest } from '../../daemon/control-ops.js';
import { submitControl } from '../../daemon/control-inbox.js';
import { readRunningDaemon } from '../../daemon/daemon-state.js';
import { UsageError } from '../../errors/errors.js';
import { makeEventLog } from '../../log/logger.js';
import { makeQueueStore } from '../../queue/queue-store.js';
import { loadCommandConfig, type CommandContext } from '../context.js';

const who = () => {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
};

/**
 * `retry`, `hold`, `release`, `delete`: a running daemon applies the request itself (so it can
 * never race a delivery in flight); without one, the command changes the queue directly.
 */
export async function controlCommand(
  ctx: CommandContext,
  op: ControlRequest['op'],
  idOrAll: { id?: string; all?: boolean },
): Promise<number> {
  const config = await loadCommandConfig(ctx);
  const store = makeQueueStore({ stateDir: config.stateDir });
  if (idOrAll.all && idOrAll.id) throw new UsageError('give an item ID or --all, not both');
  if (!idOrAll.all && !idOrAll.id) throw new UsageError(`${op} needs an item ID${op === 'retry' ? ' or --all' : ''}`);
  const id = idOrAll.all ? '*' : await store.resolveId(idOrAll.id!);
  const req: ControlRequest = { op, id, user: who(), requestedAt: new Date().toISOString() };

  const daemon = await readRunningDaemon(config.stateDir);
  if (daemon) {
    const result = await submitControl(config.stateDir, req);
    if (!result) throw new Error(`the daemon (pid ${daemon.pid}) did not answer within 5 s; the request stays queued for it`);
    if (!result.ok) throw new UsageError(result.message);
    ctx.out(`${result.message}${id === '*' ? '' : ` (${id.slice(0, 12)})`}`);
    return 0;
  }
  const log = makeEventLog({ level: config.log.level, file: config.log.file, stdout: false });
  try {
    const r = await applyControl(store, req, log, Date.now());
    const n = r.changed.length + r.removed.length;
    ctx.out(id === '*' ? `${n} item(s) made due now (daemon not running: they go out when it starts)` : `${op}: done (${id.slice(0, 12)})`);
  } finally {
    await log.close();
  }
  return 0;
}
