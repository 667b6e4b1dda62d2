import { lstat } from 'node:fs/promises';
import { readGraceFiles, readProblems, readRunningDaemon } from '../../daemon/daemon-state.js';
import { UsageError } from '../../errors/errors.js';
import { ITEM_STATES } from '../../queue/item-meta.js';
import { openQueueReader } from '../../queue/queue-reader.js';
import { renderStatusTable } from '../../status/render-table.js';
import { readTableItems, type TableItems } from '../../status/table-items.js';
import {
  assembleStatusDoc,
  parseStateFilter,
  reconcileGrace,
  toStatusItem,
  type FilterState,
  type StatusItem,
} from '../../status/status-doc.js';
import { loadCommandConfig, type CommandContext } from '../context.js';

/**
 * `imspooler status [--json] [--state S,...] [--all]`: the queue as support staff see it. The
 * table shows the counts and the first rows (table-items.ts) unless `--all`; `--json` lists every
 * item, as the contract says. Only reads
 * (the queue database, opened read-only, and the daemon's small state files), so it is safe
 * while the daemon runs, and it creates nothing, not even on a state folder that does not exist.
 */
export async function statusCommand(
  ctx: CommandContext,
  opts: { json?: boolean; state?: string; all?: boolean },
): Promise<number> {
  let states: FilterState[] | undefined;
  try {
    states = parseStateFilter(opts.state);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const config = await loadCommandConfig(ctx);
  const daemon = await readRunningDaemon(config.stateDir);
  const found = openQueueReader(config.stateDir);
  // Each item is cut down to what status shows as it is read.
  const items: StatusItem[] = [];
  // One snapshot: the files in grace are read first, then the queue. A file taken meanwhile is
  // then in both and counted once, as an item; one taken and delivered meanwhile (grace.json lags
  // by up to a second) is gone from the spool folder and not shown (issue 10.15).
  const [listedGrace, problems] = await Promise.all([
    daemon ? readGraceFiles(config.stateDir) : [],
    daemon ? readProblems(config.stateDir) : [],
  ]);
  let table: TableItems | undefined;
  try {
    if (found.kind === 'database') {
      if (opts.json || opts.all) {
        await found.reader.forEach(ITEM_STATES, (m) => items.push(toStatusItem(m)));
      } else {
        table = await readTableItems(found.reader, states);
        items.push(...table.items);
      }
    }
  } finally {
    if (found.kind === 'database') found.reader.close();
  }
  const present = await Promise.all(
    listedGrace.map((g) =>
      lstat(g.pathBytes ? Buffer.from(g.pathBytes, 'base64') : g.path).then(
        () => true,
        (e: NodeJS.ErrnoException) => e.code !== 'ENOENT',
      ),
    ),
  );
  const grace = reconcileGrace(
    listedGrace
      .filter((_, i) => present[i])
      .map(({ path, firstSeenAt, dueAt, size }) => ({ path, firstSeenAt, dueAt, size })),
    items,
  );
  const doc = assembleStatusDoc({
    now: Date.now(),
    daemon,
    items,
    grace,
    problems,
    ...(states ? { states } : {}),
    ...(table ? { queueCounts: table.counts } : {}),
    readFrom: { stateDir: config.stateDir, configFile: config.configFile ?? null },
  });
  if (opts.json) {
    ctx.out(JSON.stringify(doc, null, 2));
    return 0;
  }
  const lines = [renderStatusTable(doc, table ? { omitted: table.omitted } : {})];
  if (found.kind === 'none' && found.legacy) {
    lines.push(
      'this state folder holds a file queue of imspooler 0.1.0: the daemon imports it when it starts',
    );
  }
  ctx.out(lines.join('\n'));
  return 0;
}
