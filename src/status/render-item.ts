import type { ItemMeta } from '../queue/item-meta.js';
import { formatAge } from './render-table.js';

const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

/** Pure: what `imspooler show ID` prints. The body appears only when `body` is given (--body). */
export function formatItemDetails(
  meta: ItemMeta,
  now: number,
  body?: { text?: string; html?: string; at?: string }[],
): string {
  const l: string[] = [];
  const age = (iso: string) => `${iso} (${formatAge(now - Date.parse(iso))} ago)`;
  l.push(`item      ${meta.id}`);
  l.push(`state     ${meta.state}${meta.heldReason ? ` (${clean(meta.heldReason)})` : ''}`);
  l.push(`source    ${clean(meta.source)}`);
  l.push(`format    ${meta.format ?? '-'}, ${meta.size} bytes`);
  l.push(`seen      ${age(meta.firstSeenAt)}`);
  if (meta.envelope) {
    l.push(`from      ${clean(meta.envelope.from)}`);
    l.push(`to        ${clean(meta.envelope.to.join(', ') || '-')}`);
    if (meta.envelope.cc.length) l.push(`cc        ${clean(meta.envelope.cc.join(', '))}`);
    if (meta.envelope.subject !== undefined) l.push(`subject   ${clean(meta.envelope.subject)}`);
  }
  for (const [group, g] of Object.entries(meta.groups)) {
    l.push(`group     ${group}: ${g.status}, ${g.itemClass}, ${[...g.recipients.to, ...g.recipients.cc].map(clean).join(', ')}`);
  }
  if (meta.nextAttemptAt) l.push(`next      ${meta.nextAttemptAt}`);
  if (meta.lastError) l.push(`error     ${meta.lastError.code}: ${clean(meta.lastError.message)}`);
  if (meta.quarantine) l.push(`reason    ${meta.quarantine.code}: ${clean(meta.quarantine.message)}`);
  l.push('', `attempts  ${meta.attempts.length}`);
  for (const a of meta.attempts) {
    const err = a.error ? ` ${a.error.code}: ${clean(a.error.message)}` : '';
    l.push(`  #${a.n} ${a.startedAt} ${a.outcome} ${a.durationMs} ms${a.group ? ` [${a.group}]` : ''}${err}`);
  }
  if (body) {
    l.push('', 'messages');
    for (const m of body) l.push(`  [${m.at ?? '-'}] ${m.text ?? m.html ?? ''}`);
  }
  return l.join('\n');
}
