import { readGraceFiles, readRunningDaemon } from '../../daemon/daemon-state.js';
import { UsageError } from '../../errors/errors.js';
import { ITEM_STATES } from '../../queue/item-meta.js';
import { makeQueueStore } from '../../queue/queue-store.js';
import { renderStatusTable } from '../../status/render-table.js';
import {
  assembleStatusDoc,
  parseStateFilter,
  toStatusItem,
  type FilterState,
  type StatusItem,
} from '../../status/status-doc.js';
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
  // Each item is cut down to what status shows as it is read: whole metadata objects of 100,000
  // items held at once cost more in garbage collection than reading them.
  const items: StatusItem[] = [];
  const [, grace] = await Promise.all([
    store.forEach(ITEM_STATES, (m) => items.push(toStatusItem(m))),
    daemon ? readGraceFiles(config.stateDir) : [],
  ]);
  const doc = assembleStatusDoc({
    now: Date.now(),
    daemon,
    items,
    grace,
    ...(states ? { states } : {}),
    readFrom: { stateDir: config.stateDir, configFile: config.configFile ?? null },
  });
  ctx.out(opts.json ? JSON.stringify(doc, null, 2) : renderStatusTable(doc));
  return 0;
}
