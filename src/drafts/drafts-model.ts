import { createHash } from 'node:crypto';
import { UsageError } from '../errors/errors.js';
import { cleanText, cut } from '../text/terminal-text.js';

/**
 * Item classes of the offline conversations a Skype for Business / Lync client saves to Drafts
 * before it fails to send them (the known failure on on-premises mailboxes). Anything else in
 * Drafts is the user's own and is never listed, sent or deleted.
 */
export const STUCK_DRAFT_CLASSES = [
  'IPM.Note.Microsoft.Missed',
  'IPM.Note.Microsoft.Conversation',
  'IPM.Note.Microsoft.Missed.Voice',
  'IPM.Note.Microsoft.Conversation.Voice',
] as const;

/** Is this item class one a failed client leaves behind? (Case-insensitive, as Exchange compares.) */
export function isStuckDraftClass(itemClass: string): boolean {
  const c = itemClass.toLowerCase();
  return STUCK_DRAFT_CLASSES.some((k) => c === k.toLowerCase());
}

/** One stuck draft, as `drafts list` shows it. */
export interface DraftSummary {
  /** Lowercase hex derived from the EWS item id (stable; commands take a prefix of 8 or more). */
  id: string;
  /** The EWS ItemId, for scripts. */
  itemId: string;
  itemClass: string;
  /** ISO time the draft was created, when the server said. */
  createdAt: string | undefined;
  from: string | undefined;
  /** Display list of recipients as the server wrote it (`DisplayTo`). */
  to: string[];
  subject: string;
}

/** The short id of an EWS item id: sha256, hex (EWS ids are long and change case-sensitively). */
export const draftId = (itemId: string): string =>
  createHash('sha256').update(itemId).digest('hex');

/** Finds the one draft an id prefix names, or throws a UsageError (exit 2). */
export function resolveDraft(drafts: readonly DraftSummary[], prefix: string): DraftSummary {
  const p = prefix.trim().toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(p)) {
    throw new UsageError(`"${prefix}" is not a draft ID: give at least 8 hex characters, as "drafts list" shows`); // prettier-ignore
  }
  const hits = drafts.filter((d) => d.id.startsWith(p));
  if (hits.length === 0) throw new UsageError(`no stuck draft with ID ${p} (see "imspooler drafts list")`); // prettier-ignore
  if (hits.length > 1) throw new UsageError(`draft ID ${p} is ambiguous: ${hits.map((d) => d.id.slice(0, 12)).join(', ')}`); // prettier-ignore
  return hits[0]!;
}

/** `drafts list --json`. */
export interface DraftsDoc {
  generatedAt: string;
  /** Scheme, host and port of the EWS server asked. */
  server: string;
  drafts: DraftSummary[];
}

// Control characters would let a subject rewrite the terminal: each becomes a space here.
const clean = (s: string): string => cleanText(s, ' ');

/** The text table, like `status`: one line per draft, IDs shortened to 12. */
export function renderDraftsTable(doc: DraftsDoc): string {
  if (doc.drafts.length === 0) return `no stuck drafts in the Drafts folder (${doc.server})`;
  const rows = doc.drafts.map((d) => [
    d.id.slice(0, 12),
    d.createdAt ? d.createdAt.replace(/\.\d{3}Z$/, 'Z') : '-',
    cut(clean(d.to.join(', ')) || '-', 40),
    cut(clean(d.subject) || '(no subject)', 50),
  ]);
  const head = ['ID', 'CREATED', 'TO', 'SUBJECT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const n = doc.drafts.length;
  return [`${n} stuck draft${n === 1 ? '' : 's'} in the Drafts folder (${doc.server})`, '', line(head), ...rows.map(line)].join('\n'); // prettier-ignore
}
