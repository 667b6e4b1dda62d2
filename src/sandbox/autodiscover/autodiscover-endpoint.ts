/**
 * The sandbox's POX Autodiscover endpoint (`/autodiscover/autodiscover.xml`), answering like
 * Exchange for the addresses a test configures: settings with an EWS URL, a redirect to another
 * address or URL, or an error. Pure: the server shell writes the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { xmlEscape } from '../../text/xml-escape.js';
import { child, MalformedXmlError, parseXml } from '../xml-tree.js';

export const AUTODISCOVER_PATH = '/autodiscover/autodiscover.xml';
const NS_RESPONSE = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
const NS_OUTLOOK =
  'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

/** What the sandbox answers for one address. */
export type SandboxAutodiscoverAnswer =
  /** Settings; `ewsUrl` defaults to the sandbox's own EWS URL. */
  | { ewsUrl?: string }
  | { redirectAddr: string }
  | { redirectUrl: string }
  /** An Autodiscover error (Exchange uses 500 for an unknown address, 600 for a bad request). */
  | { error: { code: string; message: string } };

/** Autodiscover behaviour of the sandbox. */
export interface SandboxAutodiscover {
  /** Answers by e-mail address (compared case-insensitively); others get error 500. */
  mailboxes?: Record<string, SandboxAutodiscoverAnswer>;
  /** When set, a GET answers 302 to this URL: the "HTTP redirect" method. */
  redirectLocation?: string;
}

/** The HTTP answer to write. */
export interface AutodiscoverReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const XML = { 'Content-Type': 'text/xml; charset=utf-8' };

function outlook(inner: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="${NS_RESPONSE}">` +
    `<Response xmlns="${NS_OUTLOOK}">${inner}</Response></Autodiscover>`
  );
}

function errorBody(code: string, message: string, outlookSchema: boolean): string {
  const err =
    `<Error Time="00:00:00.0000000" Id="2891614218"><ErrorCode>${xmlEscape(code)}</ErrorCode>` +
    `<Message>${xmlEscape(message)}</Message><DebugData /></Error>`;
  if (outlookSchema) return outlook(err);
  return `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="${NS_RESPONSE}"><Response>${err}</Response></Autodiscover>`;
}

function settings(address: string, ewsUrl: string): string {
  const e = xmlEscape;
  const protocol = (type: string) =>
    `<Protocol><Type>${type}</Type><Server>sandbox.invalid</Server><ASUrl>${e(ewsUrl)}</ASUrl>` +
    `<EwsUrl>${e(ewsUrl)}</EwsUrl><EcpUrl>${e(ewsUrl)}</EcpUrl></Protocol>`;
  return outlook(
    `<User><DisplayName>${e(address)}</DisplayName><AutoDiscoverSMTPAddress>${e(address)}</AutoDiscoverSMTPAddress></User>` +
      `<Account><AccountType>email</AccountType><Action>settings</Action>${protocol('EXCH')}${protocol('EXPR')}</Account>`,
  );
}

/** Answers one Autodiscover request. `ewsUrl` is the sandbox's own EWS endpoint. */
export function answerAutodiscover(
  method: string,
  body: string,
  config: SandboxAutodiscover,
  ewsUrl: string,
): AutodiscoverReply {
  if (method === 'GET' && config.redirectLocation) {
    return { status: 302, headers: { Location: config.redirectLocation }, body: '' };
  }
  if (method !== 'POST') return { status: 405, headers: { Allow: 'POST' }, body: '' };
  let address: string | undefined;
  try {
    const root = parseXml(body);
    address = child(child(root, 'Request'), 'EMailAddress')?.text.trim();
  } catch (e) {
    if (!(e instanceof MalformedXmlError)) throw e;
  }
  if (!address) {
    return { status: 200, headers: XML, body: errorBody('600', 'Invalid Request', false) };
  }
  const wanted = address.toLowerCase();
  const answer = Object.entries(config.mailboxes ?? {}).find(([k]) => k.toLowerCase() === wanted)?.[1]; // prettier-ignore
  const ok = (text: string): AutodiscoverReply => ({ status: 200, headers: XML, body: text });
  if (!answer) return ok(errorBody('500', "The email address can't be found.", true));
  if ('error' in answer) return ok(errorBody(answer.error.code, answer.error.message, true));
  if ('redirectAddr' in answer) {
    return ok(
      outlook(`<Account><Action>redirectAddr</Action><RedirectAddr>${xmlEscape(answer.redirectAddr)}</RedirectAddr></Account>`), // prettier-ignore
    );
  }
  if ('redirectUrl' in answer) {
    return ok(
      outlook(`<Account><Action>redirectUrl</Action><RedirectUrl>${xmlEscape(answer.redirectUrl)}</RedirectUrl></Account>`), // prettier-ignore
    );
  }
  return ok(settings(address, answer.ewsUrl ?? ewsUrl));
}

/** What the server shell knows about one Autodiscover request. */
export interface ServeAutodiscoverOptions {
  config: SandboxAutodiscover;
  /** The sandbox's own EWS URL, the default answer. */
  ewsUrl: string;
  /** Did the request carry the credentials the sandbox demands? */
  authorized: boolean;
  /** `WWW-Authenticate` value for a 401. */
  challenge: string;
}

const MAX_REQUEST = 64 * 1024;

/** HTTP shell of {@link answerAutodiscover}: reads the request, writes the answer. */
export function serveAutodiscover(
  req: IncomingMessage,
  res: ServerResponse,
  o: ServeAutodiscoverOptions,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_REQUEST) chunks.push(c);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (!o.authorized) {
      res.writeHead(401, { 'WWW-Authenticate': o.challenge, 'Content-Length': '0' }).end();
      return;
    }
    if (size > MAX_REQUEST) return void res.writeHead(413).end();
    const a = answerAutodiscover(req.method ?? '', Buffer.concat(chunks).toString('utf8'), o.config, o.ewsUrl); // prettier-ignore
    res.writeHead(a.status, a.headers).end(a.body);
  });
}
