import {
  BasePropertySet,
  DeleteMode,
  EmailMessage,
  EmailMessageSchema,
  FolderId,
  ItemId,
  ItemSchema,
  ItemView,
  PropertySet,
  WellKnownFolderName,
} from 'ews-javascript-api';
import type { ExchangeService } from 'ews-javascript-api';
import { toDeliveryError, type EwsPhase } from '../delivery/ews-errors.js';
import type { EwsCredentials, EwsVersion } from '../delivery/ews-service.js';
import { buildService, makeAgents, responseCodeIn, type RequestTrace } from '../delivery/ews-service.js'; // prettier-ignore
import { xmlEscape } from '../text/xml-escape.js';
import { draftId, isStuckDraftClass, type DraftSummary } from './drafts-model.js';

/** Where and how to reach the mailbox. */
export interface DraftsClientOptions {
  url: string;
  version: EwsVersion;
  timeoutMs: number;
  credentials: EwsCredentials;
  rejectUnauthorized: boolean;
}

/** EWS calls of `imspooler drafts`. Every failure is a `DeliveryError`. */
export interface DraftsClient {
  /** Stuck drafts in the Drafts folder (see `STUCK_DRAFT_CLASSES`), newest first. */
  list(): Promise<DraftSummary[]>;
  /** Sends a draft and saves the copy in Conversation History (EWS SendItem). */
  send(itemId: string): Promise<void>;
  /** Moves a draft to Deleted Items (EWS DeleteItem MoveToDeletedItems). */
  remove(itemId: string): Promise<void>;
  close(): Promise<void>;
}

const PAGE = 100;
/** Enough for any real Drafts folder; a bound so a broken server cannot page forever. */
const MAX_ITEMS = 5000;

export function makeDraftsClient(opts: DraftsClientOptions): DraftsClient {
  const agents = makeAgents(opts.rejectUnauthorized);
  let token: string | undefined;

  async function call<T>(phase: EwsPhase, fn: (svc: ExchangeService) => Promise<T>): Promise<T> {
    const trace: RequestTrace = { dispatched: false };
    const c = opts.credentials;
    if (c.kind === 'oauth') token ??= await c.token();
    const spec = { ...opts, agents };
    try {
      return await fn(buildService(spec, AbortSignal.timeout(opts.timeoutMs), trace, token));
    } catch (e) {
      throw toDeliveryError(e, phase, {
        dispatched: trace.dispatched,
        responseCode: responseCodeIn(trace.responseText),
        ntlm: c.kind === 'ntlm',
      });
    }
  }

  return {
    list: () =>
      call('find', async (svc) => {
        const props = new PropertySet(BasePropertySet.IdOnly, [
          ItemSchema.ItemClass,
          ItemSchema.Subject,
          ItemSchema.DateTimeCreated,
          ItemSchema.DisplayTo,
          EmailMessageSchema.From,
        ]);
        const out: DraftSummary[] = [];
        // The class filter is applied here: an Or restriction over classes is not something every
        // server (or the sandbox) searches by, and Drafts folders are small.
        for (let offset = 0; offset < MAX_ITEMS; offset += PAGE) {
          const view = new ItemView(PAGE, offset);
          view.PropertySet = props;
          const page = await svc.FindItems(new FolderId(WellKnownFolderName.Drafts), view);
          for (const item of page.Items) {
            if (!isStuckDraftClass(item.ItemClass ?? '')) continue;
            const from = item instanceof EmailMessage ? item.From?.Address : undefined;
            const created = item.DateTimeCreated as { ToISOString?: () => string } | undefined;
            out.push({
              id: draftId(item.Id.UniqueId),
              itemId: item.Id.UniqueId,
              itemClass: item.ItemClass,
              createdAt: created?.ToISOString?.(),
              from: from || undefined,
              to: (item.DisplayTo ?? '')
                .split(';')
                .map((s) => s.trim())
                .filter(Boolean),
              subject: item.Subject ?? '',
            });
          }
          if (!page.MoreAvailable || page.Items.length === 0) break;
        }
        return out;
      }),
    send: (itemId) =>
      call('send', async (svc) => {
        const props = new PropertySet(BasePropertySet.IdOnly);
        const draft = await EmailMessage.Bind(svc, new ItemId(xmlEscape(itemId)), props);
        await draft.SendAndSaveCopy(new FolderId(WellKnownFolderName.ConversationHistory));
      }),
    remove: (itemId) =>
      call('find', async (svc) => {
        const props = new PropertySet(BasePropertySet.IdOnly);
        const draft = await EmailMessage.Bind(svc, new ItemId(xmlEscape(itemId)), props);
        await draft.Delete(DeleteMode.MoveToDeletedItems);
      }),
    close: async () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
