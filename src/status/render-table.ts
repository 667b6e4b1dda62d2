import { pathStyle } from '../service/path-style.js';
import { cleanText } from './clean-text.js';
import type { ItemKind } from '../item/spool-item.js';
import type { ReadFrom, StatusDoc, StatusItem } from './status-doc.js';

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

/** The KIND column: short words, so the table keeps its width. */
export const KIND_LABEL: Record<ItemKind, string> = {
  'offline-im': 'im',
  'conversation-history': 'history',
};

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/** Keeps the end, where a file name is: `…ffline-0001.json`. */
const cutLeft = (s: string, n: number) => (s.length > n ? `…${s.slice(s.length - n + 1)}` : s);

/**
 * Pure: who a file in its grace period is from and what it is called, from its path alone (its
 * content is not read yet). The client keeps one spool folder per signed-in user,
 * `…\Lync\sip_<address>\History Spooler\<file>`, so the `sip_` folder names the sender. A
 * Windows path is read as one on any platform.
 */
export function graceLabel(path: string): { user: string | undefined; file: string } {
  const p = pathStyle(path);
  const file = p.basename(path);
  const sip = p
    .dirname(path)
    .split(p.sep)
    .findLast((segment) => /^sip_./i.test(segment));
  return { user: sip?.slice(4), file };
}

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
    item.kind === undefined ? '-' : KIND_LABEL[item.kind],
    formatAge(now - Date.parse(item.firstSeenAt)),
    String(item.attempts),
    next,
    clean(err),
    clean(cut(item.from ?? '?', 32)),
    clean(cut([...item.to, ...item.cc].join(', ') || '?', 48)),
  ];
}

/**
 * Where an empty queue (or a missing item) was looked for: with `--config` forgotten, this is
 * another queue than the one meant, and it must say so rather than look sure.
 */
export function whereFrom(r: ReadFrom): string {
  const config = r.configFile === null ? 'built-in defaults' : clean(r.configFile);
  return `queue read from ${clean(r.stateDir)} (config: ${config}); a different queue? pass --config FILE or set IMSPOOLER_CONFIG`;
}

/**
 * Pure: the text table `imspooler status` prints. `omitted`: items of the queue left out of
 * `doc.items` (a big queue shows its first rows; the counts cover all of it).
 */
export function renderStatusTable(doc: StatusDoc, opts: { omitted?: number } = {}): string {
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
  const header = ['ID', 'STATE', 'KIND', 'AGE', 'TRIES', 'NEXT', 'LAST ERROR', 'FROM', 'TO'];
  const rows = doc.items.map((i) => row(i, now));
  for (const g of doc.grace) {
    const { user, file } = graceLabel(g.path);
    rows.push([
      '-',
      'grace',
      '-',
      formatAge(now - Date.parse(g.firstSeenAt)),
      '0',
      `in ${formatAge(Date.parse(g.dueAt) - now)}`,
      '-',
      clean(cut(user ?? '?', 32)),
      // Not read yet: no recipients, but the file name says which one to look at.
      clean(`(not read yet) ${cutLeft(file, 48)}`),
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
  if (opts.omitted) {
    lines.push(
      `… and ${opts.omitted} more (imspooler status --all lists every one, --state narrows the list, status --json is for scripts, show ID tells one item's story)`,
    );
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
  if (total === 0 && doc.readFrom) lines.push(whereFrom(doc.readFrom));
  return lines.join('\n');
}
