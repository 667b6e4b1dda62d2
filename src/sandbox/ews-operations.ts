import { runItemAction } from './drafts/item-actions.js';
import type { FaultController } from './faults.js';
import { isSandboxItemId, SEARCHABLE_FIELDS, type MailboxStore } from './mailbox-store.js';
import type { EwsRequest, MessageDraft } from './request-parser.js';
import { historyItemProblem, isHistoryFolder } from './saved-history.js';
import {
  createItemResponse,
  findItemResponse,
  getItemResponse,
  getFolderResponse,
  invalidRequestFault,
  schemaValidationFault,
  type ResponseError,
} from './soap-responses.js';

/** What the HTTP shell writes back for one EWS operation. */
export interface OperationResult {
  status: number;
  body: string;
  /** CreateItem performed, then the `dropAfterAccept` fault says: destroy the socket instead. */
  drop: boolean;
}

export interface OperationContext {
  store: MailboxStore;
  faults: FaultController;
  /** `RequestServerVersion` the client sent (undefined: Exchange assumes Exchange2007_SP1). */
  serverVersion: string | undefined;
}

const ok = (body: string): OperationResult => ({ status: 200, body, drop: false });

// Versions whose schema has no `conversationhistory` folder (added in Exchange 2013).
const PRE_2013 = /^Exchange(2007|2010)/;

/** Runs one parsed EWS operation against the mailbox, honouring CreateItem-level faults. */
export async function runOperation(
  req: EwsRequest,
  ctx: OperationContext,
): Promise<OperationResult> {
  switch (req.op) {
    case 'CreateItem':
      return createItem(req, ctx);
    case 'FindItem':
      return findItem(req, ctx);
    case 'GetItem':
      return ok(
        getItemResponse(
          req.itemIds.map((id) => lookup(ctx.store, id)),
          req.headers,
        ),
      );
    case 'GetFolder':
      return (
        folderFault(req.folders, ctx.serverVersion) ??
        ok(
          getFolderResponse(
            req.folders.map((id) => ({ id, totalCount: ctx.store.find([id], undefined).length })),
          ),
        )
      );
    default:
      if (req.action) return runItemAction(req.action, ctx.store);
      return { status: 500, body: invalidRequestFault(req.name), drop: false };
  }
}

function folderFault(
  folders: readonly string[],
  version: string | undefined,
): OperationResult | undefined {
  if (!folders.includes('conversationhistory') || (version && !PRE_2013.test(version))) {
    return undefined;
  }
  const body = schemaValidationFault(
    "The 'Id' attribute is invalid - The value 'conversationhistory' is invalid according to its datatype " +
      "'http://schemas.microsoft.com/exchange/services/2006/types:DistinguishedFolderIdNameType' - The Enumeration constraint failed.",
  );
  return { status: 500, body, drop: false };
}

function validate(
  draft: MessageDraft,
  disposition: string | undefined,
  folder: string,
): ResponseError | undefined {
  if (disposition === undefined) {
    return {
      code: 'ErrorMessageDispositionRequired',
      message: 'MessageDisposition attribute is required.',
    };
  }
  if (!/^IPM\.Note(\.|$)/i.test(draft.itemClass)) {
    return {
      code: 'ErrorObjectTypeChanged',
      message: `The item class '${draft.itemClass}' is not valid for a message: it must be IPM.Note or derived from it.`,
    };
  }
  if (disposition === 'SaveOnly' && isHistoryFolder(folder)) {
    const problem = historyItemProblem(draft);
    if (problem) return problem;
  }
  if (disposition !== 'SaveOnly' && draft.to.length + draft.cc.length + draft.bcc.length === 0) {
    return {
      code: 'ErrorInvalidRecipients',
      message:
        "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    };
  }
  return undefined;
}

async function createItem(
  req: Extract<EwsRequest, { op: 'CreateItem' }>,
  ctx: OperationContext,
): Promise<OperationResult> {
  const disposition = req.disposition;
  const folder = req.savedFolder ?? (disposition === 'SaveOnly' ? 'drafts' : 'sentitems');
  const versionFault = folderFault([folder], ctx.serverVersion);
  if (versionFault) return versionFault;
  let performed = false;
  const results: Array<{ error?: ResponseError; savedId?: { id: string; changeKey: string } }> = [];
  for (const draft of req.messages) {
    const error =
      validate(draft, disposition, folder) ??
      ctx.faults.create([...draft.to, ...draft.cc, ...draft.bcc]);
    if (error || disposition === undefined) {
      results.push({
        error: error ?? { code: 'ErrorInvalidRequest', message: 'Invalid request.' },
      });
      continue;
    }
    const copy = await ctx.store.deliver(draft, disposition, folder);
    performed = true;
    results.push(
      disposition === 'SaveOnly' && copy
        ? { savedId: { id: copy.id, changeKey: copy.changeKey } }
        : {},
    );
  }
  const drop = performed && ctx.faults.afterCreate();
  return { status: 200, body: createItemResponse(results), drop };
}

function findItem(
  req: Extract<EwsRequest, { op: 'FindItem' }>,
  ctx: OperationContext,
): OperationResult {
  const versionFault = folderFault(req.folders, ctx.serverVersion);
  if (versionFault) return versionFault;
  const r = req.restriction;
  if (r?.kind === 'field' && !SEARCHABLE_FIELDS.has(r.fieldURI)) {
    return ok(
      findItemResponse({
        code: 'ErrorUnsupportedPathForQuery',
        message: `The sandbox cannot search by '${r.fieldURI}'.`,
      }),
    );
  }
  if (r?.kind === 'header' && r.name === '') {
    return ok(
      findItemResponse({ code: 'ErrorInvalidRestriction', message: 'Restriction is invalid.' }),
    );
  }
  const all = ctx.store.find(req.folders, r);
  const offset = Number.isFinite(req.offset) && req.offset > 0 ? req.offset : 0;
  const max =
    req.maxEntries !== undefined && Number.isFinite(req.maxEntries) ? req.maxEntries : all.length;
  const items = all.slice(offset, offset + max);
  return ok(findItemResponse({ items, total: all.length, offset, headers: req.headers }));
}

function lookup(store: MailboxStore, id: string) {
  if (!isSandboxItemId(id)) return { code: 'ErrorInvalidIdMalformed', message: 'Id is malformed.' };
  return (
    store.get(id) ?? {
      code: 'ErrorItemNotFound',
      message:
        'The specified object was not found in the store., The process failed to get the correct properties.',
    }
  );
}
