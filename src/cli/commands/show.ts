import { UsageError } from '../../errors/errors.js';
import { makeQueueStore } from '../../queue/queue-store.js';
import { parseSpoolItem } from '../../spool/parse-item.js';
import { formatItemDetails } from '../../status/render-item.js';
import { toShowDoc, type ShowMessage } from '../../status/show-doc.js';
import { loadCommandConfig, type CommandContext } from '../context.js';
import { resolveItemId } from '../find-item.js';

/**
 * `imspooler show ID [--json] [--body]`: one item, every attempt; the message text only with
 * `--body`. Read-only, like `status`. An unknown, ambiguous or malformed ID is bad usage (exit 2).
 */
export async function showCommand(
  ctx: CommandContext,
  id: string,
  opts: { json?: boolean; body?: boolean },
): Promise<number> {
  const config = await loadCommandConfig(ctx);
  const store = makeQueueStore({ stateDir: config.stateDir });
  const fullId = await resolveItemId(store, id, config);
  const meta = await store.get(fullId);
  if (!meta)
    throw new UsageError(
      `item ${fullId.slice(0, 12)} left the queue while it was being read (delivered or deleted just now?)`,
    );
  let messages: ShowMessage[] | undefined;
  if (opts.body) {
    if (meta.state === 'quarantined') {
      ctx.err(
        `imspooler: item ${fullId.slice(0, 12)} is quarantined (${meta.quarantine?.code ?? '?'}): it has no readable messages`,
      );
    } else {
      const parsed = await parseSpoolItem(await store.readContent(fullId), {
        maxBytes: config.spool.maxBytes,
      });
      if (parsed.ok) messages = parsed.item.messages.map((m) => ({ ...m }));
      else
        ctx.err(
          `imspooler: the stored content of ${fullId.slice(0, 12)} no longer parses (${parsed.code})`,
        );
    }
  }
  const doc = toShowDoc(meta, messages);
  ctx.out(opts.json ? JSON.stringify(doc, null, 2) : formatItemDetails(doc, Date.now()));
  return 0;
}
