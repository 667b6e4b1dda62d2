/**
 * Builders of the SOAP envelopes the sandbox answers with, shaped like Exchange's own (per
 * messages.xsd/types.xsd, with `s:Header/h:ServerVersionInfo`). Every value is XML-escaped. Pure.
 */
import { xmlEscape } from '../text/xml-escape.js';

const NS_SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const NS_M = 'http://schemas.microsoft.com/exchange/services/2006/messages';
const NS_T = 'http://schemas.microsoft.com/exchange/services/2006/types';
const NS_E = 'http://schemas.microsoft.com/exchange/services/2006/errors';
const NS_XSI_XSD =
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"';

/** A saved copy as the responses describe it. */
export interface ItemView {
  id: string;
  changeKey: string;
  /** Distinguished folder name the copy lives in (e.g. `conversationhistory`). */
  folder: string;
  itemClass: string;
  subject: string;
  bodyType: string;
  body: string;
  from: string | undefined;
  to: string[];
  cc: string[];
  /** ISO timestamp of the send. */
  sentAt: string;
  messageId: string;
  size: number;
  internetHeaders: Record<string, string>;
}

export interface ItemShapeOptions {
  /** Include Body, recipients and InternetMessageId (GetItem), not just the summary (FindItem). */
  full: boolean;
  /** InternetHeaders properties the request asked for by name (AdditionalProperties). */
  headers: readonly string[];
}

export interface ResponseError {
  code: string;
  message: string;
}

const el = (name: string, value: string): string => `<${name}>${xmlEscape(value)}</${name}>`;

/** Exchange Server 2019 CU-era version header. */
const SERVER_VERSION =
  `<h:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4"` +
  ` Version="V2017_07_11" xmlns:h="${NS_T}" xmlns="${NS_T}" ${NS_XSI_XSD}/>`;

function envelope(body: string, withHeader = true): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS_SOAP}">` +
    (withHeader ? `<s:Header>${SERVER_VERSION}</s:Header>` : '') +
    `<s:Body ${NS_XSI_XSD}>${body}</s:Body></s:Envelope>`
  );
}

function responseMessage(name: string, error: ResponseError | undefined, inner: string): string {
  if (!error) {
    return `<m:${name} ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>${inner}</m:${name}>`;
  }
  return (
    `<m:${name} ResponseClass="Error">${el('m:MessageText', error.message)}` +
    `${el('m:ResponseCode', error.code)}<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${inner}</m:${name}>`
  );
}

function operationResponse(op: string, messages: string[]): string {
  return envelope(
    `<m:${op}Response xmlns:m="${NS_M}" xmlns:t="${NS_T}">` +
      `<m:ResponseMessages>${messages.join('')}</m:ResponseMessages></m:${op}Response>`,
  );
}

/**
 * One CreateItemResponseMessage per message. `SendAndSaveCopy`/`SendOnly` answer an empty
 * `m:Items` on success, as Exchange does; `SaveOnly` returns the draft's ItemId.
 */
export function createItemResponse(
  results: ReadonlyArray<{ error?: ResponseError; savedId?: { id: string; changeKey: string } }>,
): string {
  return operationResponse(
    'CreateItem',
    results.map((r) => {
      const items = r.savedId
        ? `<m:Items><t:Message><t:ItemId Id="${xmlEscape(r.savedId.id)}" ChangeKey="${xmlEscape(r.savedId.changeKey)}"/></t:Message></m:Items>`
        : '<m:Items/>';
      return responseMessage('CreateItemResponseMessage', r.error, items);
    }),
  );
}

function mailbox(addr: string): string {
  return `<t:Mailbox>${el('t:Name', addr)}${el('t:EmailAddress', addr)}<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox>`;
}

const recipients = (name: string, list: readonly string[]): string =>
  list.length ? `<t:${name}>${list.map(mailbox).join('')}</t:${name}>` : '';

function extendedProperties(item: ItemView, wanted: readonly string[]): string {
  const byLower = new Map(
    Object.entries(item.internetHeaders).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return wanted
    .map((name) => {
      const value = byLower.get(name.toLowerCase());
      if (value === undefined) return '';
      return (
        `<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="InternetHeaders" PropertyName="${xmlEscape(name)}" PropertyType="String"/>` +
        `${el('t:Value', value)}</t:ExtendedProperty>`
      );
    })
    .join('');
}

/** A `t:Message` in types.xsd element order. */
export function messageXml(item: ItemView, shape: ItemShapeOptions): string {
  const sent = item.sentAt.replace(/\.\d{3}Z$/, 'Z');
  const parts = [
    `<t:ItemId Id="${xmlEscape(item.id)}" ChangeKey="${xmlEscape(item.changeKey)}"/>`,
    `<t:ParentFolderId Id="${xmlEscape(folderId(item.folder))}" ChangeKey="AQAAAA=="/>`,
    el('t:ItemClass', item.itemClass),
    el('t:Subject', item.subject),
    '<t:Sensitivity>Normal</t:Sensitivity>',
    shape.full
      ? `<t:Body BodyType="${xmlEscape(item.bodyType)}">${xmlEscape(item.body)}</t:Body>`
      : '',
    el('t:DateTimeReceived', sent),
    `<t:Size>${item.size}</t:Size>`,
    '<t:Importance>Normal</t:Importance>',
    '<t:IsSubmitted>false</t:IsSubmitted><t:IsDraft>false</t:IsDraft><t:IsFromMe>true</t:IsFromMe>',
    '<t:IsResend>false</t:IsResend><t:IsUnmodified>true</t:IsUnmodified>',
    el('t:DateTimeSent', sent),
    el('t:DateTimeCreated', sent),
    el('t:DisplayCc', item.cc.join('; ')),
    el('t:DisplayTo', item.to.join('; ')),
    '<t:HasAttachments>false</t:HasAttachments>',
    extendedProperties(item, shape.headers),
    shape.full ? recipients('ToRecipients', item.to) + recipients('CcRecipients', item.cc) : '',
    el('t:ConversationTopic', item.subject),
    item.from ? `<t:From>${mailbox(item.from)}</t:From>` : '',
    shape.full ? el('t:InternetMessageId', item.messageId) : '',
    '<t:IsRead>true</t:IsRead>',
  ];
  return `<t:Message>${parts.join('')}</t:Message>`;
}

/** Stable, opaque folder id for a distinguished folder name. */
export const folderId = (name: string): string =>
  Buffer.from(`IMSPOOLER-SANDBOX-FOLDER:${name}`).toString('base64');

/** FindItemResponse with a RootFolder page of items (or an error). */
export function findItemResponse(
  page:
    | { items: ItemView[]; total: number; offset: number; headers: readonly string[] }
    | ResponseError,
): string {
  if ('code' in page)
    return operationResponse('FindItem', [responseMessage('FindItemResponseMessage', page, '')]);
  const end = page.offset + page.items.length;
  const root =
    `<m:RootFolder IndexedPagingOffset="${end}" TotalItemsInView="${page.total}" IncludesLastItemInRange="${end >= page.total}">` +
    `<t:Items>${page.items.map((i) => messageXml(i, { full: false, headers: page.headers })).join('')}</t:Items></m:RootFolder>`;
  return operationResponse('FindItem', [
    responseMessage('FindItemResponseMessage', undefined, root),
  ]);
}

/** GetItemResponse: one message per requested id, found or ErrorItemNotFound/ErrorInvalidIdMalformed. */
export function getItemResponse(
  results: ReadonlyArray<ItemView | ResponseError>,
  headers: readonly string[],
): string {
  return operationResponse(
    'GetItem',
    results.map((r) =>
      'code' in r
        ? responseMessage('GetItemResponseMessage', r, '<m:Items/>')
        : responseMessage(
            'GetItemResponseMessage',
            undefined,
            `<m:Items>${messageXml(r, { full: true, headers })}</m:Items>`,
          ),
    ),
  );
}

/** Display names of the distinguished folders the sandbox knows. */
const FOLDER_NAMES: Readonly<Record<string, string>> = {
  conversationhistory: 'Conversation History',
  drafts: 'Drafts',
  sentitems: 'Sent Items',
  inbox: 'Inbox',
};

/** GetFolderResponse: one folder per requested distinguished id, or ErrorFolderNotFound. */
export function getFolderResponse(
  folders: ReadonlyArray<{ id: string; totalCount: number }>,
): string {
  return operationResponse(
    'GetFolder',
    folders.map((f) => {
      const name = FOLDER_NAMES[f.id];
      if (!name) {
        return responseMessage(
          'GetFolderResponseMessage',
          {
            code: 'ErrorFolderNotFound',
            message: 'The specified folder could not be found in the store.',
          },
          '<m:Folders/>',
        );
      }
      const id = Buffer.from(`sandbox-folder:${f.id}`).toString('base64');
      return responseMessage(
        'GetFolderResponseMessage',
        undefined,
        `<m:Folders><t:Folder><t:FolderId Id="${id}" ChangeKey="AQAAAA=="/>${el('t:DisplayName', name)}` +
          `<t:TotalCount>${f.totalCount}</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>` +
          `<t:UnreadCount>0</t:UnreadCount></t:Folder></m:Folders>`,
      );
    }),
  );
}

/** A SOAP 1.1 fault the way Exchange writes it (HTTP 500). `messageXml` is pre-built XML. */
export function soapFault(f: {
  code: string;
  faultString: string;
  message: string;
  messageXml?: string;
}): string {
  return envelope(
    `<s:Fault><faultcode xmlns:a="${NS_T}">a:${xmlEscape(f.code)}</faultcode>` +
      `<faultstring xml:lang="en-US">${xmlEscape(f.faultString)}</faultstring><detail>` +
      `<e:ResponseCode xmlns:e="${NS_E}">${xmlEscape(f.code)}</e:ResponseCode>` +
      `<e:Message xmlns:e="${NS_E}">${xmlEscape(f.message)}</e:Message>` +
      (f.messageXml === undefined
        ? ''
        : `<t:MessageXml xmlns:t="${NS_T}">${f.messageXml}</t:MessageXml>`) +
      `</detail></s:Fault>`,
    false,
  );
}

const BUSY = 'The server cannot service this request right now. Try again later.';

/** Exchange's throttling fault, with `BackOffMilliseconds` when given. */
export function serverBusyFault(backOffMs: number | undefined): string {
  return soapFault({
    code: 'ErrorServerBusy',
    faultString: BUSY,
    message: BUSY,
    ...(backOffMs === undefined
      ? {}
      : { messageXml: `<t:Value Name="BackOffMilliseconds">${Math.round(backOffMs)}</t:Value>` }),
  });
}

/** Exchange's answer to malformed XML or a request that breaks the schema. */
export function schemaValidationFault(violation: string): string {
  return soapFault({
    code: 'ErrorSchemaValidation',
    faultString: `The request failed schema validation: ${violation}`,
    message: 'The request failed schema validation.',
    messageXml: el('t:Violation', violation),
  });
}

/** For operations the sandbox does not implement. */
export function invalidRequestFault(operation: string): string {
  return soapFault({
    code: 'ErrorInvalidRequest',
    faultString: `The request is invalid: the sandbox does not implement '${operation}'.`,
    message: 'The request is invalid.',
  });
}
