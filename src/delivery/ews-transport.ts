import {
  BasePropertySet,
  BodyType,
  DateTime,
  DefaultExtendedPropertySet,
  EmailAddress,
  EmailMessage,
  ExtendedPropertyDefinition,
  Folder,
  FolderId,
  FolderSchema,
  ItemView,
  MapiPropertyType,
  MessageBody,
  PropertySet,
  SearchFilter,
  WellKnownFolderName,
} from 'ews-javascript-api';
import type { ExchangeService } from 'ews-javascript-api';
import { safeHost } from '../config/url-credentials.js';
import { DeliveryError } from '../errors/errors.js';
import type { EwsPhase } from './ews-errors.js';
import { sanitise, toDeliveryError } from './ews-errors.js';
import type { EwsCredentials, EwsVersion, RequestTrace, ServiceSpec } from './ews-service.js';
import { buildService, makeAgents, responseCodeIn } from './ews-service.js';
import type { SendRequest, Transport } from './transport.js';
import {
  ITEM_HEADER,
  MSGFLAG_READ,
  PR_CLIENT_SUBMIT_TIME,
  PR_MESSAGE_DELIVERY_TIME,
  PR_MESSAGE_FLAGS,
} from './transport.js';
import { xmlEscape } from '../text/xml-escape.js';

export type { EwsCredentials, EwsVersion } from './ews-service.js';

/** Options of {@link makeEwsTransport}. */
export interface EwsTransportOptions {
  /** The EWS endpoint, e.g. `https://mail.contoso.com/EWS/Exchange.asmx`. */
  url: string;
  /** `RequestServerVersion`; 2013 or later for `conversationhistory`. */
  version: EwsVersion;
  /** Whole-request deadline in ms (NTLM's handshake included). */
  timeoutMs: number;
  credentials: EwsCredentials;
  /** Verify the server's TLS certificate (false only for test servers). */
  rejectUnauthorized: boolean;
  /**
   * Set the message's `From` to the spool item's sender (default true). Sending as someone other
   * than the authenticated mailbox needs Send As rights (else `ErrorSendAsDenied`).
   */
  setFrom?: boolean;
  /** Who signs in and where the secret comes from (never the secret), for 401 messages. */
  signIn?: string;
}

/**
 * A MAPI property by tag, written as `PropertyTag="0x0E07"`: the library writes the tag as given,
 * and the hex form is how Microsoft's documentation (and our contract) spell these properties,
 * so a request can be read against them. Both forms are valid `PropertyTagType` values.
 */
function taggedProperty(tag: number, type: MapiPropertyType): ExtendedPropertyDefinition {
  const hex = `0x${tag.toString(16).toUpperCase().padStart(4, '0')}`;
  return new ExtendedPropertyDefinition(hex as unknown as number, type);
}

/**
 * The EWS transport: `CreateItem` `SendAndSaveCopy` into `conversationhistory` (a
 * conversation-history item: `SaveOnly` there, read and dated), `FindItem` on the
 * `X-IMSpooler-Item-Id` header, `GetFolder` as a probe. Every value is XML-escaped here, once:
 * ews-javascript-api writes values verbatim. Each failure becomes a `DeliveryError`; an aborted
 * or timed-out call rejects at once (the socket is torn down behind it).
 */
export function makeEwsTransport(opts: EwsTransportOptions): Transport {
  const host = safeHost(opts.url, 'the EWS server');
  const spec: ServiceSpec = { ...opts, agents: makeAgents(opts.rejectUnauthorized) };
  const headerProperty = new ExtendedPropertyDefinition(
    DefaultExtendedPropertySet.InternetHeaders,
    ITEM_HEADER,
    MapiPropertyType.String,
  );
  const messageFlags = taggedProperty(PR_MESSAGE_FLAGS, MapiPropertyType.Integer);
  const submitTime = taggedProperty(PR_CLIENT_SUBMIT_TIME, MapiPropertyType.SystemTime);
  const deliveryTime = taggedProperty(PR_MESSAGE_DELIVERY_TIME, MapiPropertyType.SystemTime);
  // The signed-in mailbox's folder: a conversation-history item belongs to the account whose
  // spool folder it came from, which is the account imspooler signs in as.
  const saveFolder = (): FolderId => new FolderId(WellKnownFolderName.ConversationHistory);
  let closed = false;
  // OAuth: one token until the server refuses it (401) or fetching fails.
  let token: Promise<string> | undefined;

  async function bearer(): Promise<string | undefined> {
    const c = opts.credentials;
    if (c.kind !== 'oauth') return undefined;
    token ??= c.token();
    try {
      return await token;
    } catch (e) {
      token = undefined;
      const msg = e instanceof Error ? e.message : String(e);
      throw new DeliveryError(
        'TokenUnavailable',
        `could not obtain an OAuth token: ${sanitise(msg)}`,
      );
    }
  }

  function call<T>(
    phase: EwsPhase,
    signal: AbortSignal | undefined,
    fn: (svc: ExchangeService) => Promise<T>,
  ): Promise<T> {
    if (closed) {
      return Promise.reject(new DeliveryError('TransportClosed', 'the EWS transport is closed'));
    }
    if (signal?.aborted) {
      return Promise.reject(new DeliveryError('Aborted', `${phase} abandoned before it started`));
    }
    const trace: RequestTrace = { dispatched: false };
    const inner = new AbortController();
    const unclear = (): boolean => phase === 'send' && trace.dispatched;
    return new Promise<T>((resolve, reject) => {
      const fail = (err: DeliveryError): void => {
        cleanup();
        inner.abort();
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(
          new DeliveryError('Timeout', `no answer from ${host} within ${opts.timeoutMs} ms`, {
            unclear: unclear(),
          }),
        );
      }, opts.timeoutMs);
      const onAbort = (): void => {
        fail(new DeliveryError('Aborted', `${phase} to ${host} abandoned`, { unclear: unclear() }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      function cleanup(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
      (async () => fn(buildService(spec, inner.signal, trace, await bearer())))().then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (thrown: unknown) => {
          const err = toDeliveryError(thrown, phase, {
            dispatched: trace.dispatched,
            responseCode: responseCodeIn(trace.responseText),
            ntlm: opts.credentials.kind === 'ntlm',
            ...(opts.signIn ? { signIn: opts.signIn } : {}),
          });
          if (err.code === 'Http401') token = undefined;
          cleanup();
          reject(err);
        },
      );
    });
  }

  return {
    name: 'ews',
    send: (req: SendRequest, signal?: AbortSignal) =>
      call('send', signal, async (svc) => {
        const m = new EmailMessage(svc);
        m.ItemClass = xmlEscape(req.itemClass);
        m.Subject = xmlEscape(req.subject);
        m.Body = new MessageBody(BodyType.HTML, xmlEscape(req.html));
        // A saved history item is never sent, so naming its sender needs no Send As right.
        const from = (opts.setFrom !== false || req.history !== undefined) && req.from;
        if (from) m.From = new EmailAddress(xmlEscape(from));
        for (const a of req.to) m.ToRecipients.Add(new EmailAddress(xmlEscape(a)));
        for (const a of req.cc) m.CcRecipients.Add(new EmailAddress(xmlEscape(a)));
        m.SetExtendedProperty(headerProperty, xmlEscape(req.headerValue));
        if (!req.history) {
          await m.SendAndSaveCopy(saveFolder());
          return;
        }
        // Saved, never sent: read (not a draft) from creation on, and dated when the
        // conversation began. The library formats the times and the number itself.
        const at = new DateTime(Date.parse(req.history.conversationAt));
        m.SetExtendedProperty(messageFlags, MSGFLAG_READ);
        m.SetExtendedProperty(submitTime, at);
        m.SetExtendedProperty(deliveryTime, at);
        await m.Save(saveFolder());
      }),
    findSent: (headerValue: string, signal?: AbortSignal) =>
      call('find', signal, async (svc) => {
        const view = new ItemView(1);
        view.PropertySet = new PropertySet(BasePropertySet.IdOnly);
        const filter = new SearchFilter.IsEqualTo(headerProperty, xmlEscape(headerValue));
        const found = await svc.FindItems(saveFolder(), filter, view);
        return found.Items.length > 0 || found.TotalCount > 0;
      }),
    probe: (signal?: AbortSignal) =>
      call('probe', signal, async (svc) => {
        const props = new PropertySet(BasePropertySet.IdOnly, [FolderSchema.DisplayName]);
        const folder = await Folder.Bind(svc, saveFolder(), props);
        const info = svc.ServerInfo;
        const server = info
          ? `Exchange ${info.MajorVersion}.${info.MinorVersion}.${info.MajorBuildNumber}`
          : 'Exchange (version not announced)';
        return `${host}: ${server}, Conversation History folder "${folder.DisplayName}" reachable`;
      }),
    close: async () => {
      closed = true;
      spec.agents.http.destroy();
      spec.agents.https.destroy();
    },
  };
}
