import { makeQueueStore } from '../../queue/queue-store.js';
import { parseSpoolItem } from '../../spool/parse-item.js';
import { formatItemDetails } from '../../status/render-item.js';
import { loadCommandConfig, type CommandContext } from '../context.js';

/** `imspooler show ID [--json] [--body]`: one item, every attempt; the body only on request. */
export async function showCommand(
  ctx: CommandContext,
  id: string,
  opts: { json?: boolean; body?: boolean },
): Promise<number> {
  const config = await loadCommandConfig(ctx);
  const store = makeQueueStore({ stateDir: config.stateDir });
  const fullId = await store.resolveId(id);
  const meta = await store.get(fullId);
  if (!meta) throw new Error(`item ${fullId} vanished while reading it (delivered just now?)`);
  let body: { text?: string; html?: string; at?: string }[] | undefined;
  if (opts.body && meta.state !== 'quarantined') {
    const parsed = await parseSpoolItem(await store.readContent(fullId), { maxBytes: config.spool.maxBytes });
    if (parsed.ok) body = parsed.item.messages;
  }
  if (opts.json) {
    ctx.out(JSON.stringify(body ? { ...meta, messages: body } : meta, null, 2));
  } else {
    ctx.out(formatItemDetails(meta, Date.now(), body));
  }
  return 0;
}
