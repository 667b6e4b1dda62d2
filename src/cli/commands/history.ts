import { parseDuration } from '../../config/duration.js';
import { UsageError } from '../../errors/errors.js';
import { openQueueReader } from '../../queue/queue-reader.js';
import { renderHistoryTable, toHistoryDoc } from '../../status/history-doc.js';
import { loadCommandConfig, type CommandContext } from '../context.js';
import { whereLooked } from './where-looked.js';

/** Options of `imspooler history`, as commander hands them over. */
export interface HistoryOptions {
  json?: boolean;
  from?: string;
  to?: string;
  since?: string;
  limit?: string;
}

/** Without --limit: enough for any one person's week, small enough to read. */
export const DEFAULT_HISTORY_LIMIT = 100;

/** Pure: the query from the command line; UsageError naming the option and what is allowed. */
export function parseHistoryOptions(
  o: HistoryOptions,
  now: number,
): { from?: string; to?: string; sinceIso?: string; limit: number } {
  const q: { from?: string; to?: string; sinceIso?: string; limit: number } = {
    limit: DEFAULT_HISTORY_LIMIT,
  };
  for (const k of ['from', 'to'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (!/^(sip:)?[^\s@]+@[^\s@]+$/i.test(v.trim())) {
      throw new UsageError(
        `--${k}: "${v}" is not an address; expected one such as bob@contoso.com`,
      );
    }
    q[k] = v.trim();
  }
  if (o.since !== undefined) {
    const ms = parseDuration(o.since);
    if (ms === undefined || ms <= 0) {
      throw new UsageError(
        `--since: "${o.since}" is not a duration; expected one such as 90m, 24h or 7d`,
      );
    }
    q.sinceIso = new Date(now - ms).toISOString();
  }
  if (o.limit !== undefined) {
    const n = Number(o.limit);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
      throw new UsageError(`--limit: "${o.limit}" is not a whole number from 1 to 1000000`);
    }
    q.limit = n;
  }
  return q;
}

/**
 * `imspooler history [--json] [--from ADDR] [--to ADDR] [--since DURATION] [--limit N]`: items
 * in the queue and those that left it within `history.retention`, newest first. Read-only, with
 * or without the daemon.
 */
export async function historyCommand(ctx: CommandContext, o: HistoryOptions): Promise<number> {
  const now = Date.now();
  const q = parseHistoryOptions(o, now);
  const config = await loadCommandConfig(ctx);
  const found = openQueueReader(config.stateDir);
  let entries: ReturnType<typeof toHistoryDoc>['items'] = [];
  if (found.kind === 'database') {
    try {
      entries = toHistoryDoc(now, found.reader.history(q)).items;
    } finally {
      found.reader.close();
    }
  }
  const doc = { generatedAt: new Date(now).toISOString(), items: entries };
  if (o.json) {
    ctx.out(JSON.stringify(doc, null, 2));
    return 0;
  }
  const table = renderHistoryTable(doc, q.limit);
  ctx.out(entries.length === 0 ? `${table} (${whereLooked(config)})` : table);
  return 0;
}
