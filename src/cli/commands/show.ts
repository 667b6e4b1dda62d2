import { UsageError } from '../../errors/errors.js';
import { idArg } from '../../queue/queue-read.js';
import { openQueueReader } from '../../queue/queue-reader.js';
import { parseSpoolItem } from '../../item/parse-item.js';
import { formatItemDetails } from '../../status/render-item.js';
import { toShowDoc, type ShowMessage } from '../../status/show-doc.js';
import { loadCommandConfig, type CommandContext } from '../context.js';
import { resolveItemId } from '../find-item.js';
import { whereLooked } from './where-looked.js';

/**
 * `imspooler show ID [--json] [--body]`: one item, in the queue or in the history, every attempt;
 * the message text only with `--body` (and only while the item is queued: content leaves with
 * it). Read-only, like `status`. An unknown, ambiguous or malformed ID is bad usage (exit 2).
 */
export async function showCommand(
  ctx: CommandContext,
  id: string,
  opts: { json?: boolean; body?: boolean },
): Promise<number> {
  const config = await loadCommandConfig(ctx);
  const found = openQueueReader(config.stateDir);
  if (found.kind === 'none') {
    // Checked the same way as with a database: a malformed ID is still bad usage.
    throw new UsageError(
      `no item with ID ${idArg(id)}: the queue is empty; ${whereLooked(config)}`,
    );
  }
  const reader = found.reader;
  try {
    const fullId = await resolveItemId(
      { resolveId: (p) => reader.resolveId(p, { history: true }) },
      id,
      config,
    );
    const item = reader.find(fullId);
    if (!item) throw new UsageError(`item ${fullId.slice(0, 12)} vanished while it was read`);
    const left =
      item.finishedAt !== undefined && (item.state === 'delivered' || item.state === 'deleted')
        ? { state: item.state, finishedAt: item.finishedAt }
        : undefined;
    const meta = item.meta;
    let messages: ShowMessage[] | undefined;
    if (opts.body) {
      if (left) {
        ctx.err(
          `imspooler: item ${fullId.slice(0, 12)} was ${left.state}: its text left the queue with it`,
        );
      } else if (meta.state === 'quarantined') {
        ctx.err(
          `imspooler: item ${fullId.slice(0, 12)} is quarantined (${meta.quarantine?.code ?? '?'}): it has no readable messages`,
        );
      } else {
        const parsed = await parseSpoolItem(await reader.readContent(fullId), {
          maxBytes: config.spool.maxBytes,
        });
        if (parsed.ok) messages = parsed.item.messages.map((m) => ({ ...m }));
        else
          ctx.err(
            `imspooler: the stored content of ${fullId.slice(0, 12)} no longer parses (${parsed.code})`,
          );
      }
    }
    const doc = toShowDoc(meta, messages, left);
    ctx.out(opts.json ? JSON.stringify(doc, null, 2) : formatItemDetails(doc, Date.now()));
    return 0;
  } finally {
    reader.close();
  }
}
