import { createHash, randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  buildEml,
  FOLDER_HEADER,
  ITEM_CLASS_HEADER,
  MESSAGE_FLAGS_HEADER,
  parseEml,
  SUBMIT_TIME_HEADER,
} from './eml-writer.js';
import type { MessageDraft, Restriction } from './request-parser.js';
import { historyTimes, isHistoryFolder, messageFlagsOf } from './saved-history.js';
import { folderId, type ItemView } from './soap-responses.js';

/** A saved copy the sandbox knows about. */
export interface StoredCopy extends ItemView {
  /**
   * Its .eml, relative to the mailbox folder with `/` between parts ('' for a SaveOnly draft,
   * kept in memory); a Conversation History item saved, not sent, is in {@link HISTORY_DIR}.
   */
  file: string;
}

/**
 * The subfolder of the mailbox folder holding items saved (never sent) into Conversation
 * History: apart from the root, whose files are messages delivered to someone.
 */
export const HISTORY_DIR = 'conversation-history';

/** The sandbox mailbox: .eml files for delivered messages plus an index of saved copies. */
export interface MailboxStore {
  /**
   * Delivers or saves one message. SendAndSaveCopy and SendOnly write an .eml (atomically);
   * SendAndSaveCopy and SaveOnly keep an indexed copy in `folder`. SaveOnly into
   * `conversationhistory` also writes its .eml, into {@link HISTORY_DIR}, dated as the item is.
   */
  deliver(
    draft: MessageDraft,
    disposition: string,
    folder: string,
  ): Promise<StoredCopy | undefined>;
  /** Copies in these folders matching the restriction, newest first. */
  find(folders: readonly string[], restriction: Restriction | undefined): StoredCopy[];
  get(id: string): StoredCopy | undefined;
  /** Moves a copy to another folder (DeleteItem MoveToDeletedItems). The .eml, if any, stays. */
  move(id: string, folder: string): StoredCopy | undefined;
  /** Forgets a copy (a sent draft, a hard delete). The .eml, if any, stays: it records a delivery. */
  remove(id: string): StoredCopy | undefined;
}

/** Sender written when the request names none (Exchange would use the caller's mailbox). */
export const DEFAULT_FROM = 'mailbox@sandbox.invalid';
const ID_PREFIX = 'IMSPOOLER-SANDBOX-ITEM:';

const itemIdFor = (file: string): string => Buffer.from(ID_PREFIX + file).toString('base64');
const changeKeyFor = (file: string): string =>
  'CQAAABYAAAA' + createHash('sha1').update(file).digest('base64').slice(0, 16);

/** Is this an id the sandbox could have issued? (else ErrorInvalidIdMalformed) */
export const isSandboxItemId = (id: string): boolean =>
  Buffer.from(id, 'base64').toString('utf8').startsWith(ID_PREFIX);

const compactTimestamp = (d: Date): string => d.toISOString().replace(/[-:.]/g, '');

/** Opens (creating if needed) a mailbox folder and indexes the saved copies already in it. */
export async function openMailbox(
  dir: string,
  now: () => Date = () => new Date(),
): Promise<MailboxStore> {
  await fsp.mkdir(dir, { recursive: true });
  const copies: StoredCopy[] = [];
  let counter = 0;
  const emlIn = async (sub: string): Promise<string[]> =>
    (await fsp.readdir(path.join(dir, sub)).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((f) => (sub ? `${sub}/${f}` : f));
  for (const file of [...(await emlIn('')), ...(await emlIn(HISTORY_DIR))]) {
    const n = Number(/-(\d+)\.eml$/.exec(file)?.[1] ?? 0);
    counter = Math.max(counter, n);
    const copy = readCopy(file, await fsp.readFile(path.join(dir, ...file.split('/')), 'utf8'));
    if (copy) copies.push(copy);
  }

  return {
    async deliver(draft, disposition, folder) {
      const history = disposition === 'SaveOnly' && isHistoryFolder(folder);
      const times = history ? historyTimes(draft) : {};
      const writtenAt = now();
      // A saved history item is dated when the conversation happened, not when it was saved.
      const date = times.deliveredAt ?? times.submittedAt ?? writtenAt;
      const keep = disposition !== 'SendOnly';
      const messageId = `${randomUUID()}@sandbox.imspooler.invalid`;
      const base = {
        from: draft.from,
        to: draft.to,
        cc: draft.cc,
        subject: draft.subject,
        itemClass: draft.itemClass,
        bodyType: draft.bodyType,
        body: draft.body,
        internetHeaders: draft.internetHeaders,
        messageId,
      };
      let file = '';
      let size = Buffer.byteLength(draft.body);
      if (disposition !== 'SaveOnly' || history) {
        counter += 1;
        const name = `${compactTimestamp(writtenAt)}-${String(counter).padStart(6, '0')}.eml`;
        const into = history ? path.join(dir, HISTORY_DIR) : dir;
        file = history ? `${HISTORY_DIR}/${name}` : name;
        const flags = history ? messageFlagsOf(draft) : undefined;
        const eml = buildEml({
          ...base,
          from: draft.from ?? DEFAULT_FROM,
          date,
          folder: keep ? folder : undefined,
          ...(flags !== undefined ? { messageFlags: flags } : {}),
          ...(times.submittedAt ? { clientSubmitTime: times.submittedAt } : {}),
        });
        size = Buffer.byteLength(eml);
        if (history) await fsp.mkdir(into, { recursive: true });
        const tmp = path.join(into, `.${name}.${process.pid}.tmp`);
        await fsp.writeFile(tmp, eml, { flag: 'wx' });
        await fsp.rename(tmp, path.join(into, name));
      }
      if (!keep) return undefined;
      const key = file || `draft-${messageId}`;
      const copy: StoredCopy = {
        ...base,
        id: itemIdFor(key),
        changeKey: changeKeyFor(key),
        folder,
        sentAt: date.toISOString(),
        size,
        file,
      };
      copies.push(copy);
      return copy;
    },
    find(folders, restriction) {
      const wanted = new Set(folders.map((f) => f.toLowerCase()));
      return copies
        .filter(
          (c) => wanted.has(c.folder.toLowerCase()) || wanted.has(folderId(c.folder).toLowerCase()),
        )
        .filter((c) => matches(c, restriction))
        .reverse();
    },
    get: (id) => copies.find((c) => c.id === id),
    move(id, folder) {
      const copy = copies.find((c) => c.id === id);
      if (copy) copy.folder = folder;
      return copy;
    },
    remove(id) {
      const at = copies.findIndex((c) => c.id === id);
      return at < 0 ? undefined : copies.splice(at, 1)[0];
    },
  };
}

function matches(c: StoredCopy, r: Restriction | undefined): boolean {
  if (!r) return true;
  // Exchange compares strings in restrictions case-insensitively.
  const eq = (a: string | undefined) =>
    a !== undefined && a.toLowerCase() === r.value.toLowerCase();
  if (r.kind === 'header') {
    const name = r.name.toLowerCase();
    return eq(Object.entries(c.internetHeaders).find(([k]) => k.toLowerCase() === name)?.[1]);
  }
  if (r.fieldURI === 'item:Subject') return eq(c.subject);
  if (r.fieldURI === 'item:ItemClass') return eq(c.itemClass);
  if (r.fieldURI === 'message:InternetMessageId') return eq(`<${c.messageId}>`);
  return false;
}

/** Fields the store can search by FieldURI; others get ErrorUnsupportedPathForQuery. */
export const SEARCHABLE_FIELDS = new Set([
  'item:Subject',
  'item:ItemClass',
  'message:InternetMessageId',
]);

const STANDARD = new Set([
  'from', 'to', 'cc', 'subject', 'date', 'message-id', 'mime-version', 'content-type',
  'content-transfer-encoding', ITEM_CLASS_HEADER.toLowerCase(), FOLDER_HEADER.toLowerCase(),
  MESSAGE_FLAGS_HEADER.toLowerCase(), SUBMIT_TIME_HEADER.toLowerCase(),
]); // prettier-ignore

function readCopy(file: string, text: string): StoredCopy | undefined {
  const parsed = parseEml(text);
  const folder = parsed?.headers[FOLDER_HEADER.toLowerCase()];
  if (!parsed || !folder) return undefined;
  const h = parsed.headers;
  const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []); // prettier-ignore
  const internetHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (!STANDARD.has(k)) internetHeaders[k] = v;
  const date = new Date(h['date'] ?? 0);
  return {
    id: itemIdFor(file),
    changeKey: changeKeyFor(file),
    folder,
    file,
    from: h['from'],
    to: h['to'] === 'undisclosed-recipients:;' ? [] : list(h['to']),
    cc: list(h['cc']),
    subject: h['subject'] ?? '',
    itemClass: h[ITEM_CLASS_HEADER.toLowerCase()] ?? 'IPM.Note',
    bodyType: parsed.bodyType,
    body: parsed.body,
    internetHeaders,
    messageId: (h['message-id'] ?? '').replace(/^<|>$/g, ''),
    sentAt: (Number.isNaN(date.getTime()) ? new Date(0) : date).toISOString(),
    size: Buffer.byteLength(text),
  };
}
