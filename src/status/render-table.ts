import { cleanText } from './clean-text.js';
import type { StatusDoc, StatusItem } from './status-doc.js';

/** Pure: "3m", "2h 5m", "4d" — how support staff read ages on the phone. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

const clean = cleanText;

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function row(item: StatusItem, now: number): string[] {
  const next = item.nextAttemptAt
    ? (() => {
        const d = Date.parse(item.nextAttemptAt) - now;
        return d <= 0 ? 'now' : `in ${formatAge(d)}`;
      })()
    : item.state === 'held'
      ? 'held'
      : '-';
  const err = item.lastError
    ? `${item.lastError.code}`
    : item.heldReason
      ? cut(item.heldReason, 30)
      : '-';
  return [
    item.id.slice(0, 12),
    item.state,
    formatAge(now - Date.parse(item.firstSeenAt)),
    String(item.attempts),
    next,
    clean(err),
    clean(cut(item.from ?? '?', 32)),
    clean(cut([...item.to, ...item.cc].join(', ') || '?', 48)),
  ];
}

/** Pure: the text table `imspooler status` prints. */
export function renderStatusTable(doc: StatusDoc): string {
  const now = Date.parse(doc.generatedAt);
  const c = doc.counts;
  const lines: string[] = [];
  lines.push(
    doc.daemon.running
      ? `daemon: running (pid ${doc.daemon.pid})`
      : 'daemon: not running (items wait until it starts)',
  );
  // What keeps the daemon from its job comes first: it explains an empty or growing queue.
  for (const p of doc.problems ?? []) {
    lines.push(
      `problem: ${clean(p.message)} (${p.code}, since ${formatAge(now - Date.parse(p.since))} ago)`,
    );
  }
  const header = ['ID', 'STATE', 'AGE', 'TRIES', 'NEXT', 'LAST ERROR', 'FROM', 'TO'];
  const rows = doc.items.map((i) => row(i, now));
  for (const g of doc.grace) {
    rows.push([
      '-',
      'grace',
      formatAge(now - Date.parse(g.firstSeenAt)),
      '0',
      `in ${formatAge(Date.parse(g.dueAt) - now)}`,
      '-',
      clean(cut(g.path, 32)),
      '-',
    ]);
  }
  if (rows.length > 0) {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (r: string[]) =>
      r
        .map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    lines.push('', fmt(header), ...rows.map(fmt));
  }
  const total = c.grace + c.queued + c.active + c.deferred + c.held + c.failed + c.quarantined;
  const whole = `${c.grace} in grace, ${c.queued} queued, ${c.active} active, ${c.deferred} deferred, ${c.held} held, ${c.failed} failed, ${c.quarantined} quarantined`;
  const shown = doc.items.length + doc.grace.length;
  lines.push(
    '',
    doc.filter
      ? `${shown} of ${total} item(s) shown (--state ${doc.filter.states.join(',')}); whole queue: ${whole}`
      : `${total} item(s): ${whole}`,
  );
  return lines.join('\n');
}
