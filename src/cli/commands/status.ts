import { readGraceFiles, readRunningDaemon } from '../../daemon/daemon-state.js';
import { UsageError } from '../../errors/errors.js';
import { makeQueueStore } from '../../queue/queue-store.js';
import { renderStatusTable } from '../../status/render-table.js';
import { buildStatusDoc, parseStateFilter, type FilterState } from '../../status/status-doc.js';
import { loadCommandConfig, type CommandContext } from '../context.js';

/**
 * `imspooler status [--json] [--state S,...]`: the queue as support staff see it. Only reads
 * (folder listings and small JSON files), so it is safe while the daemon runs, and it creates
 * nothing, not even on a state folder that does not exist yet.
 */
export async function statusCommand(
  ctx: CommandContext,
  opts: { json?: boolean; state?: string },
): Promise<number> {
  let states: FilterState[] | undefined;
  try {
    states = parseStateFilter(opts.state);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const config = await loadCommandConfig(ctx);
  const store = makeQueueStore({ stateDir: config.stateDir });
  const daemon = await readRunningDaemon(config.stateDir);
  const [items, grace] = await Promise.all([
    store.list(),
    daemon ? readGraceFiles(config.stateDir) : [],
  ]);
  const doc = buildStatusDoc({
    now: Date.now(),
    daemon,
    items,
    grace,
    ...(states ? { states } : {}),
  });
  ctx.out(opts.json ? JSON.stringify(doc, null, 2) : renderStatusTable(doc));
  return 0;
}
