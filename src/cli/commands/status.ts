import { readGraceFiles, readRunningDaemon } from '../../daemon/daemon-state.js';
import { ITEM_STATES, type ItemState } from '../../queue/item-meta.js';
import { makeQueueStore } from '../../queue/queue-store.js';
import { UsageError } from '../../errors/errors.js';
import { renderStatusTable } from '../../status/render-table.js';
import { buildStatusDoc } from '../../status/status-doc.js';
import { loadCommandConfig, type CommandContext } from '../context.js';

/** `imspooler status [--json] [--state S]`: reads the queue; never changes anything. */
export async function statusCommand(ctx: CommandContext, opts: { json?: boolean; state?: string }): Promise<number> {
  const config = await loadCommandConfig(ctx);
  const states = parseStates(opts.state);
  const store = makeQueueStore({ stateDir: config.stateDir });
  const daemon = await readRunningDaemon(config.stateDir);
  const [items, grace] = await Promise.all([store.list(), daemon ? readGraceFiles(config.stateDir) : []]);
  const doc = buildStatusDoc({ now: Date.now(), daemon, items, grace });
  if (states) {
    doc.items = doc.items.filter((i) => states.includes(i.state));
    if (!states.includes('grace' as ItemState)) doc.grace = [];
  }
  ctx.out(opts.json ? JSON.stringify(doc, null, 2) : renderStatusTable(doc));
  return 0;
}

function parseStates(value: string | undefined): (ItemState | 'grace')[] | undefined {
  if (!value) return undefined;
  const allowed = ['grace', 'queued', ...ITEM_STATES];
  const out = value.split(',').map((s) => s.trim().toLowerCase());
  for (const s of out) {
    if (!allowed.includes(s)) throw new UsageError(`--state: "${s}" is not a state; expected one of ${allowed.join(', ')}`);
  }
  return out.map((s) => (s === 'queued' ? 'incoming' : s)) as (ItemState | 'grace')[];
}
