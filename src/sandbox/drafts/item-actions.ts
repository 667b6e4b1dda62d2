/**
 * `SendItem` and `DeleteItem` on items the sandbox holds, as `imspooler drafts send|delete` uses
 * them on drafts a failed client left behind: send a saved draft (and save a copy), or delete it.
 * Parsing the request is `parse-item-action.ts`'s, so the request parser does not depend on the
 * mailbox this runs against.
 */
import type { MailboxStore } from '../mailbox-store.js';
import { isSandboxItemId } from '../mailbox-store.js';
import type { ItemAction } from './parse-item-action.js';
import { type ResponseError } from '../soap-responses.js';
import { xmlEscape } from '../../text/xml-escape.js';

const NOT_FOUND: ResponseError = {
  code: 'ErrorItemNotFound',
  message: 'The specified object was not found in the store.',
};

/** Carries out the action; one response message per id, as Exchange answers. */
export async function runItemAction(
  action: ItemAction,
  store: MailboxStore,
): Promise<{ status: number; body: string; drop: false }> {
  const results: Array<ResponseError | undefined> = [];
  for (const id of action.itemIds) {
    const copy = isSandboxItemId(id) ? store.get(id) : undefined;
    if (!copy) {
      results.push(isSandboxItemId(id) ? NOT_FOUND : { code: 'ErrorInvalidIdMalformed', message: 'Id is malformed.' }); // prettier-ignore
      continue;
    }
    if (action.op === 'SendItem') {
      if (copy.to.length + copy.cc.length === 0) {
        results.push({ code: 'ErrorInvalidRecipients', message: "At least one recipient isn't valid." }); // prettier-ignore
        continue;
      }
      const draft = { ...copy, bcc: [] };
      const folder = action.savedFolder ?? 'sentitems';
      await store.deliver(draft, action.saveCopy ? 'SendAndSaveCopy' : 'SendOnly', folder);
      store.remove(id);
    } else if (action.deleteType === 'MoveToDeletedItems') {
      store.move(id, 'deleteditems');
    } else {
      store.remove(id);
    }
    results.push(undefined);
  }
  return { status: 200, body: actionResponse(action.op, results), drop: false };
}

const NS = {
  s: 'http://schemas.xmlsoap.org/soap/envelope/',
  m: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  t: 'http://schemas.microsoft.com/exchange/services/2006/types',
};

function actionResponse(op: string, results: ReadonlyArray<ResponseError | undefined>): string {
  const messages = results.map((e) =>
    e
      ? `<m:${op}ResponseMessage ResponseClass="Error"><m:MessageText>${xmlEscape(e.message)}</m:MessageText>` +
        `<m:ResponseCode>${xmlEscape(e.code)}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:${op}ResponseMessage>`
      : `<m:${op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:${op}ResponseMessage>`,
  );
  return (
    `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.s}"><s:Header>` +
    `<h:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4" Version="V2017_07_11" xmlns:h="${NS.t}"/>` +
    `</s:Header><s:Body><m:${op}Response xmlns:m="${NS.m}" xmlns:t="${NS.t}"><m:ResponseMessages>` +
    `${messages.join('')}</m:ResponseMessages></m:${op}Response></s:Body></s:Envelope>`
  );
}
