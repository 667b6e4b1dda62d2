import type { ItemKind } from '../item/spool-item.js';
import { cleanText } from './clean-text.js';
import { formatAge } from './render-table.js';
import type { ShowDoc } from './show-doc.js';

const clean = cleanText;

/** What each kind means for the person reading `show`. */
const KIND_NOTE: Record<ItemKind, string> = {
  'offline-im': ' (sent to its recipients)',
  'conversation-history':
    " (saved in the sender's own Conversation History folder, never sent to anyone)",
};

/** What a person can do next about an item in this state. */
function hint(doc: ShowDoc): string | undefined {
  const id = doc.id.slice(0, 12);
  switch (doc.state) {
    case 'deferred':
      return `retried automatically; "imspooler retry ${id}" sends it now`;
    case 'failed':
      return `not retried by itself; fix the cause, then "imspooler retry ${id}" (or "imspooler delete ${id}")`;
    case 'held':
      return `not sent until "imspooler release ${id}"`;
    case 'quarantined':
      return `never sent as it is; fix the file and drop it in the spool folder again, then "imspooler delete ${id}"`;
    default:
      return undefined;
  }
}

/** Pure: what `imspooler show ID` prints. The messages appear only when the doc has them (--body). */
export function formatItemDetails(doc: ShowDoc, now: number): string {
  const l: string[] = [];
  const when = (iso: string | undefined) => {
    if (iso === undefined) return '? (damaged)';
    const d = Date.parse(iso) - now;
    return `${iso} (${d > 0 ? `in ${formatAge(d)}` : `${formatAge(-d)} ago`})`;
  };
  l.push(`item      ${doc.id}`);
  l.push(`state     ${doc.state}${doc.heldReason ? ` (${clean(doc.heldReason)})` : ''}`);
  l.push(`source    ${doc.source === undefined ? '? (damaged)' : clean(doc.source)}`);
  // A quarantined file's format is what it was recognised as; unrecognised or never read: unreadable.
  const format = doc.format ?? (doc.state === 'quarantined' ? 'unreadable' : '-');
  l.push(`format    ${format}, ${doc.size ?? '?'} bytes`);
  if (doc.kind) l.push(`kind      ${doc.kind}${KIND_NOTE[doc.kind]}`);
  l.push(`seen      ${when(doc.firstSeenAt)}`);
  if (doc.finishedAt) {
    // The answer to "did Bob get it?": when, to whom (the groups below), after how many tries.
    const tries = doc.attemptCount ?? doc.attempts.length;
    l.push(`${doc.state.padEnd(10)}${when(doc.finishedAt)}, after ${tries} attempt(s)`);
  }
  if (doc.envelope) {
    l.push(`from      ${clean(doc.envelope.from)}`);
    l.push(`to        ${clean(doc.envelope.to.join(', ') || '-')}`);
    if (doc.envelope.cc.length) l.push(`cc        ${clean(doc.envelope.cc.join(', '))}`);
    if (doc.envelope.subject !== undefined) l.push(`subject   ${clean(doc.envelope.subject)}`);
  }
  for (const [group, g] of Object.entries(doc.groups)) {
    const who = [...g.recipients.to, ...g.recipients.cc].map(clean).join(', ');
    l.push(
      `group     ${group}: ${g.status}${g.sentAt ? ` ${g.sentAt}` : ''}, ${g.itemClass}, ${who}`,
    );
  }
  if (doc.nextAttemptAt) l.push(`next      ${when(doc.nextAttemptAt)}`);
  // A quarantine's reason is also its last error: said once, as the reason.
  const sameAsReason =
    doc.quarantine?.code === doc.lastError?.code &&
    doc.quarantine?.message === doc.lastError?.message;
  if (doc.lastError && !sameAsReason)
    l.push(`error     ${doc.lastError.code}: ${clean(doc.lastError.message)}`);
  if (doc.quarantine) l.push(`reason    ${doc.quarantine.code}: ${clean(doc.quarantine.message)}`);
  if (doc.damaged) {
    // Named, not hidden: whoever edited or damaged the file can see what to put right.
    l.push(`damaged   ${doc.damaged.length} field(s) of the metadata file could not be read, so are not shown:`); // prettier-ignore
    for (const f of doc.damaged) l.push(`  ${clean(f.field)}: ${clean(f.problem)}`);
  }
  const h = hint(doc);
  if (h) l.push(`todo      ${h}`);
  l.push('', `attempts  ${doc.attemptCount ?? doc.attempts.length}`);
  for (const a of doc.attempts) {
    const err = a.error ? ` ${a.error.code}: ${clean(a.error.message)}` : '';
    l.push(
      `  #${a.n} ${a.startedAt} ${a.outcome} ${a.durationMs} ms${a.group ? ` [${a.group}]` : ''}${err}`,
    );
  }
  if (doc.messages) {
    l.push('', 'messages');
    for (const m of doc.messages) {
      const text = (m.text ?? m.html ?? '').split(/\r?\n/).map(clean);
      l.push(`  [${m.at ?? '-'}] ${text[0] ?? ''}`, ...text.slice(1).map((t) => `      ${t}`));
    }
  }
  return l.join('\n');
}
