/**
 * What the sandbox demands of an item saved (not sent) into Conversation History, over EWS
 * (`CreateItem` `SaveOnly`) or Graph (a message created in the folder), and the dates it carries.
 * Exchange itself would accept an item without the read flag and show it as an unsent draft
 * forever (the flags cannot be changed afterwards): the sandbox refuses it, as a careful reviewer
 * would, so that a client that forgets the flag fails its tests. Pure.
 */
import type { MessageDraft, TaggedValue } from './request-parser.js';
import type { ResponseError } from './soap-responses.js';

/** The distinguished folder whose saved items must be read, never drafts. */
export const HISTORY_FOLDER = 'conversationhistory';
const PR_MESSAGE_FLAGS = 0x0e07;
const PR_CLIENT_SUBMIT_TIME = 0x0039;
const PR_MESSAGE_DELIVERY_TIME = 0x0e06;
const MSGFLAG_READ = 0x1;
const MSGFLAG_UNSENT = 0x8;

/** Is this a save into Conversation History (the folder the rule applies to)? */
export const isHistoryFolder = (folder: string): boolean => folder.toLowerCase() === HISTORY_FOLDER;

/** Why a saved Conversation History item would be an unsent draft or carry a bad date, if it would. */
export function historyItemProblem(draft: MessageDraft): ResponseError | undefined {
  const flags = draft.tagged?.[PR_MESSAGE_FLAGS];
  const n = flags?.type === 'Integer' && /^\s*\d+\s*$/.test(flags.value) ? Number(flags.value) : NaN; // prettier-ignore
  if (Number.isNaN(n) || (n & MSGFLAG_READ) === 0 || (n & MSGFLAG_UNSENT) !== 0) {
    const got = flags
      ? ` (it was ${flags.type} ${JSON.stringify(flags.value)})`
      : ' (it was not set)';
    return {
      code: 'ErrorInvalidExtendedPropertyValue',
      message:
        'The item would be an unsent draft in Conversation History: PR_MESSAGE_FLAGS (PropertyTag 0x0E07, Integer) ' +
        `must be set to 1 (read) when the item is created, and cannot be changed afterwards${got}.`,
    };
  }
  for (const [tag, name] of [
    [PR_CLIENT_SUBMIT_TIME, 'PR_CLIENT_SUBMIT_TIME (0x0039)'],
    [PR_MESSAGE_DELIVERY_TIME, 'PR_MESSAGE_DELIVERY_TIME (0x0E06)'],
  ] as const) {
    const v = draft.tagged?.[tag];
    if (v && (v.type !== 'SystemTime' || timeOf(v) === undefined)) {
      return {
        code: 'ErrorInvalidExtendedPropertyValue',
        message: `${name} must be a SystemTime with a valid date and time, got ${v.type} ${JSON.stringify(v.value)}.`,
      };
    }
  }
  return undefined;
}

/** The times a saved item carries: when it was delivered and submitted, where set. */
export function historyTimes(draft: MessageDraft): { deliveredAt?: Date; submittedAt?: Date } {
  const delivered = timeOf(draft.tagged?.[PR_MESSAGE_DELIVERY_TIME]);
  const submitted = timeOf(draft.tagged?.[PR_CLIENT_SUBMIT_TIME]);
  return {
    ...(delivered ? { deliveredAt: delivered } : {}),
    ...(submitted ? { submittedAt: submitted } : {}),
  };
}

/** The read flag as the item carries it (for its .eml), when set. */
export const messageFlagsOf = (draft: MessageDraft): string | undefined =>
  draft.tagged?.[PR_MESSAGE_FLAGS]?.value.trim();

function timeOf(v: TaggedValue | undefined): Date | undefined {
  if (v === undefined || v.type !== 'SystemTime') return undefined;
  // xs:dateTime with a zone (Z or an offset), as EWS and Graph write it.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v.value.trim())) {
    return undefined;
  }
  const d = new Date(v.value.trim());
  return Number.isNaN(d.getTime()) ? undefined : d;
}
