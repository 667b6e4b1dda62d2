import type { SpoolItem } from '../item/spool-item.js';
import { HISTORY_ITEM_CLASS } from './transport.js';

/**
 * The one group of a conversation-history item: every other participant (`to`, then `cc`,
 * without the sender and without duplicates, case-insensitive) as To, as the client's own
 * Conversation History items list them. Never split by organisation: nothing is sent.
 */
export function historyGroup(item: Pick<SpoolItem, 'from' | 'to' | 'cc'>): {
  to: string[];
  cc: string[];
  itemClass: string;
} {
  const seen = new Set([item.from.toLowerCase()]);
  const to: string[] = [];
  for (const raw of [...item.to, ...item.cc]) {
    const a = raw.trim();
    if (a === '' || seen.has(a.toLowerCase())) continue;
    seen.add(a.toLowerCase());
    to.push(a);
  }
  return { to, cc: [], itemClass: HISTORY_ITEM_CLASS };
}

/**
 * When the conversation began: its earliest message time, else a MIME item's `Date`, else
 * `fallback` (when the item was first seen), so the saved item sorts where it happened. Pure.
 */
export function conversationStart(
  item: Pick<SpoolItem, 'messages' | 'date'>,
  fallback: string,
): string {
  let first: number | undefined;
  for (const m of item.messages) {
    const t = m.at === undefined ? NaN : Date.parse(m.at);
    if (!Number.isNaN(t) && (first === undefined || t < first)) first = t;
  }
  if (first === undefined && item.date !== undefined) {
    const t = Date.parse(item.date);
    if (!Number.isNaN(t)) first = t;
  }
  return first === undefined ? fallback : new Date(first).toISOString();
}
