import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake server received. */
export interface Recorded {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** How the fake answers one request: a canned reply, or a hook that takes over the socket. */
export type Reply =
  | { status: number; body?: string; headers?: Record<string, string> }
  | { destroy: true }
  | { hang: true };

/**
 * A tiny local HTTP server standing in for Exchange: records every request and answers with
 * whatever `answer` returns. Not the project's sandbox (tests must not depend on it).
 */
export async function startFakeEws(answer: (req: Recorded, n: number) => Reply) {
  const requests: Recorded[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = {
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      waiters.splice(0).forEach((w) => w());
      const reply = answer(rec, requests.length);
      if ('destroy' in reply) {
        req.socket.destroy();
      } else if ('hang' in reply) {
        // Never answer: the client's timeout or abort has to end it.
      } else {
        res.writeHead(reply.status, {
          'content-type': 'text/xml; charset=utf-8',
          ...reply.headers,
        });
        res.end(reply.body ?? '');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/EWS/Exchange.asmx`,
    requests,
    /** Resolves once at least `n` requests have arrived. */
    received(n: number): Promise<void> {
      return new Promise((resolve) => {
        const check = () => (requests.length >= n ? resolve() : waiters.push(check));
        check();
      });
    },
    close(): Promise<void> {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export type FakeEws = Awaited<ReturnType<typeof startFakeEws>>;

const NS =
  'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"';

function envelope(body: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>' +
    '<h:ServerVersionInfo MajorVersion="15" MinorVersion="2" MajorBuildNumber="1544" MinorBuildNumber="4" ' +
    'Version="V2017_07_11" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/>' +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** 200 with a successful `CreateItemResponse` (no items: SendAndSaveCopy returns none). */
export const createItemOk = (): Reply => ({
  status: 200,
  body: envelope(
    `<m:CreateItemResponse ${NS}><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Success">` +
      '<m:ResponseCode>NoError</m:ResponseCode><m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>',
  ),
});

/** 200 with a `CreateItemResponse` error message (response-level error, e.g. bad recipients). */
export const createItemError = (code: string, text: string, backOffMs?: number): Reply => ({
  status: 200,
  body: envelope(
    `<m:CreateItemResponse ${NS}><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Error">` +
      `<m:MessageText>${text}</m:MessageText><m:ResponseCode>${code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>` +
      (backOffMs === undefined
        ? ''
        : `<m:MessageXml><t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value></m:MessageXml>`) +
      '<m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>',
  ),
});

/** 200 with a `FindItemResponse` holding `count` messages. */
export const findItemOk = (count: number): Reply => ({
  status: 200,
  body: envelope(
    `<m:FindItemResponse ${NS}><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success">` +
      `<m:ResponseCode>NoError</m:ResponseCode><m:RootFolder TotalItemsInView="${count}" IncludesLastItemInRange="true"><t:Items>` +
      Array.from(
        { length: count },
        (_, i) => `<t:Message><t:ItemId Id="AAMkAD${i}" ChangeKey="CQAAAB"/></t:Message>`,
      ).join('') +
      '</t:Items></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>',
  ),
});

/** 200 with a `GetFolderResponse` for Conversation History. */
export const getFolderOk = (): Reply => ({
  status: 200,
  body: envelope(
    `<m:GetFolderResponse ${NS}><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success">` +
      '<m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id="AAMkAF" ChangeKey="AQAAAA"/>' +
      '<t:DisplayName>Conversation History</t:DisplayName></t:Folder></m:Folders></m:GetFolderResponseMessage>' +
      '</m:ResponseMessages></m:GetFolderResponse>',
  ),
});

/** HTTP 500 SOAP fault `ErrorServerBusy` with `BackOffMilliseconds`, as Exchange throttles. */
export const serverBusyFault = (backOffMs: number): Reply => ({
  status: 500,
  body:
    '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>' +
    '<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>' +
    '<faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring><detail>' +
    '<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>' +
    '<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>' +
    `<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value></t:MessageXml>` +
    '</detail></s:Fault></s:Body></s:Envelope>',
});

/** Which EWS operation a recorded request body carries. */
export function operationOf(body: string): string | undefined {
  return /<soap:Body><m:(\w+)/.exec(body)?.[1];
}
