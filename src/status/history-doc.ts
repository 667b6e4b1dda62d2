import type { HistoryEntry } from '../queue/history-query.js';
import { cleanText, cut } from '../text/terminal-text.js';
import { formatAge } from './render-table.js';
import { publicState } from './status-doc.js';

/** One item of `history --json` (the contract's shape). */
export interface HistoryItem {
  id: string;
  /** `delivered`, `deleted`, or a queue state as `status` names it. */
  state: string;
  from: string | null;
  to: string[];
  cc: string[];
  firstSeenAt: string;
  /** When the item left the queue; null while it is still in it. */
  finishedAt: string | null;
  attempts: number;
  source: string;
}

/** The contract's `history --json` document. */
export interface HistoryDoc {
  generatedAt: string;
  items: HistoryItem[];
}

/** Pure: the document from the entries the query found (already newest first). */
export function toHistoryDoc(now: number, entries: readonly HistoryEntry[]): HistoryDoc {
  return {
    generatedAt: new Date(now).toISOString(),
    items: entries.map((e) => ({
      id: e.id,
      state: e.state === 'delivered' || e.state === 'deleted' ? e.state : publicState(e.state),
      from: e.from ?? null,
      to: e.to,
      cc: e.cc,
      firstSeenAt: e.firstSeenAt,
      finishedAt: e.finishedAt ?? null,
      attempts: e.attempts,
      source: e.source,
    })),
  };
}

/** Pure: the table `imspooler history` prints; `limit` says whether more may exist. */
export function renderHistoryTable(doc: HistoryDoc, limit: number): string {
  const now = Date.parse(doc.generatedAt);
  const ago = (iso: string) => `${formatAge(now - Date.parse(iso))} ago`;
  const header = ['ID', 'STATE', 'SEEN', 'FINISHED', 'TRIES', 'FROM', 'TO'];
  const rows = doc.items.map((i) => [
    i.id.slice(0, 12),
    i.state,
    ago(i.firstSeenAt),
    i.finishedAt ? ago(i.finishedAt) : '-',
    String(i.attempts),
    cleanText(cut(i.from ?? '?', 32)),
    cleanText(cut([...i.to, ...i.cc].join(', ') || '?', 48)),
  ]);
  if (rows.length === 0) return 'no items found';
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const more = rows.length >= limit ? `; there may be more: --limit N shows more` : '';
  return [fmt(header), ...rows.map(fmt), '', `${rows.length} item(s), newest first${more}`].join(
    '\n',
  );
}
