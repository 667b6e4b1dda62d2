/**
 * The Microsoft Graph side of the sandbox: the mail endpoints the daemon calls and the identity
 * platform endpoints MSAL calls, on the same loopback server as the EWS sandbox. Requests go
 * through the same fault switches (`sendMail` and creating a message count as `CreateItem`, the message search as
 * `FindItem`, the folder read as `GetItem`): `serverBusy` answers 429 with `Retry-After`, `http503`
 * 503, `http401` 401, the drops destroy the socket.
 */
import type http from 'node:http';
import type { EwsOperation, FaultController } from '../faults.js';
import type { MailboxStore } from '../mailbox-store.js';
import {
  createMessage,
  findMessages,
  getFolder,
  graphError,
  sendMail,
  type GraphAnswer,
} from './graph-mail.js';
import { TokenEndpoint, type TokenEndpointOptions, type TokenStats } from './token-endpoint.js';

/** Options of the Graph endpoints (`startSandbox({ graph })`). */
export interface GraphSandboxOptions extends TokenEndpointOptions {
  /** Accept Graph calls without a token the sandbox issued (default false). */
  anyToken?: boolean;
}

/** One Graph or token request as received (never bodies or credentials). */
export interface GraphRecordedRequest {
  method: string;
  path: string;
  operation: string;
  status: number | 'dropped';
  /** Who the bearer token belongs to (`app:<client id>` or `user:<upn>`), if any. */
  subject?: string;
}

/** What tests see and switch. */
export interface GraphSandboxControls {
  /** `http://127.0.0.1:<port>/v1.0` */
  graphUrl: string;
  /** `http://127.0.0.1:<port>`; MSAL's authority is this plus the tenant. */
  authorityHost: string;
  tokens: TokenStats;
  stats: { sendMail: number; createMessage: number; findMessages: number; getFolder: number };
  requests: GraphRecordedRequest[];
  approveDeviceCodes(): void;
  revokeTokens(): void;
}

export interface GraphRoutes {
  /** Is this request for the Graph or token endpoints? */
  handles(req: http.IncomingMessage): boolean;
  serve(req: http.IncomingMessage, res: http.ServerResponse): void;
  controls(port: number): GraphSandboxControls;
}

interface Deps {
  store: MailboxStore;
  faults: FaultController;
  log: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
}

const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/(token|devicecode)$/i;
const OIDC_PATH = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i;
const MAILBOX = /^\/v1\.0\/(?:me|users\/([^/]+))\/(.+)$/i;
const MAX_BODY = 8 * 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The Graph and token routes over the sandbox's mailbox and fault switches. */
export function makeGraphRoutes(opts: GraphSandboxOptions, deps: Deps): GraphRoutes {
  const tokens = new TokenEndpoint(opts);
  const stats = { sendMail: 0, createMessage: 0, findMessages: 0, getFolder: 0 };
  const requests: GraphRecordedRequest[] = [];

  const pathOf = (req: http.IncomingMessage) => (req.url ?? '/').split('?')[0] ?? '/';
  // MSAL insists on https authorities: the daemon's network client rewrites them to this http
  // server and says so in X-Forwarded-Proto, so the metadata must name https endpoints back.
  const originOf = (req: http.IncomingMessage) => {
    const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
    return `${proto}://${req.headers.host ?? '127.0.0.1'}`;
  };

  async function route(req: http.IncomingMessage, rec: GraphRecordedRequest): Promise<GraphAnswer> {
    const path = pathOf(req);
    const query = new URL(req.url ?? '/', 'http://sandbox').searchParams;
    const origin = originOf(req);
    const json = (a: { status: number; body: unknown }): GraphAnswer => a;
    if (/^\/common\/discovery\/instance$/i.test(path)) {
      rec.operation = 'instanceDiscovery';
      const host = req.headers.host ?? '127.0.0.1';
      return json({
        status: 200,
        body: {
          tenant_discovery_endpoint: `${origin}/common/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        },
      });
    }
    const oidc = OIDC_PATH.exec(path);
    if (oidc) {
      rec.operation = 'openidConfiguration';
      return json(tokens.openIdConfiguration(origin, oidc[1] ?? 'common'));
    }
    const tok = TOKEN_PATH.exec(path);
    if (tok && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      rec.operation = tok[2] === 'devicecode' ? 'devicecode' : `token:${form.get('grant_type')}`;
      return json(tok[2] === 'devicecode' ? tokens.deviceCode(form, origin) : tokens.token(form, origin)); // prettier-ignore
    }
    if (/^\/devicelogin$/i.test(path)) {
      // Opening the verification page approves every waiting code (handy in demos).
      rec.operation = 'devicelogin';
      tokens.approveDeviceCodes();
      return json({ status: 200, body: { approved: true } });
    }
    const mailbox = MAILBOX.exec(path);
    if (!mailbox) return graphError(404, 'UnknownError', `The sandbox has no Graph route ${path}`);
    const rest = mailbox[2] ?? '';
    let op: EwsOperation | undefined;
    let run: () => Promise<GraphAnswer> | GraphAnswer;
    let folderMatch: RegExpExecArray | null;
    if (/^sendMail$/i.test(rest) && req.method === 'POST') {
      rec.operation = 'sendMail';
      op = 'CreateItem';
      const text = await readBody(req);
      run = async () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return graphError(400, 'RequestBodyRead', 'The request body is not valid JSON.');
        }
        const a = await sendMail(body, deps);
        if (a.status === 202) stats.sendMail += 1;
        return a;
      };
    } else if (
      req.method === 'POST' &&
      (folderMatch = /^mailFolders\/([^/]+)\/messages$/i.exec(rest))
    ) {
      rec.operation = 'createMessage';
      op = 'CreateItem';
      const folder = decodeURIComponent(folderMatch[1] ?? '');
      const text = await readBody(req);
      run = async () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return graphError(400, 'RequestBodyRead', 'The request body is not valid JSON.');
        }
        const a = await createMessage(folder, body, deps);
        if (a.status === 201) stats.createMessage += 1;
        return a;
      };
    } else if (
      req.method === 'GET' &&
      (folderMatch = /^(?:mailFolders\/([^/]+)\/)?messages$/i.exec(rest))
    ) {
      rec.operation = 'findMessages';
      op = 'FindItem';
      const folder = folderMatch[1];
      run = () => {
        stats.findMessages += 1;
        return findMessages(query, folder, deps.store);
      };
    } else if (req.method === 'GET' && (folderMatch = /^mailFolders\/([^/]+)$/i.exec(rest))) {
      rec.operation = 'getFolder';
      op = 'GetItem';
      const name = decodeURIComponent(folderMatch[1] ?? '');
      run = () => {
        stats.getFolder += 1;
        return getFolder(name);
      };
    } else {
      return graphError(405, 'UnknownError', `The sandbox does not implement ${req.method} ${path}`); // prettier-ignore
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const subject = bearer === undefined ? undefined : tokens.check(bearer);
    if (subject) rec.subject = subject;
    if (!subject && !opts.anyToken) {
      const a = graphError(401, 'InvalidAuthenticationToken', bearer ? 'Lifetime validation failed, the token is expired.' : 'Access token is empty.'); // prettier-ignore
      return { ...a, headers: { 'WWW-Authenticate': 'Bearer realm="sandbox"' } };
    }
    const { decision, delayMs } = deps.faults.before(op);
    let answer: GraphAnswer;
    switch (decision.action) {
      case 'drop':
        answer = { status: 0, drop: true };
        break;
      case 'http':
        answer =
          decision.status === 401
            ? { ...graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'), headers: { 'WWW-Authenticate': 'Bearer realm="sandbox"' } } // prettier-ignore
            : graphError(503, 'ServiceNotAvailable', 'The service is temporarily unavailable.');
        break;
      case 'busy': {
        const a = graphError(429, 'TooManyRequests', 'Application is over its MailboxConcurrency limit.'); // prettier-ignore
        const secs = decision.backOffMs === undefined ? undefined : Math.ceil(decision.backOffMs / 1000); // prettier-ignore
        answer = secs === undefined ? a : { ...a, headers: { 'Retry-After': String(secs) } };
        break;
      }
      default:
        answer = await run();
    }
    await deps.sleep(delayMs);
    return answer;
  }

  return {
    handles(req) {
      const p = pathOf(req);
      return (
        /^\/v1\.0\//i.test(p) ||
        TOKEN_PATH.test(p) ||
        OIDC_PATH.test(p) ||
        /^\/(common\/discovery\/instance|devicelogin)$/i.test(p)
      );
    },
    serve(req, res) {
      const rec: GraphRecordedRequest = { method: req.method ?? 'GET', path: pathOf(req), operation: '-', status: 0 }; // prettier-ignore
      requests.push(rec);
      if (requests.length > 200) requests.shift();
      route(req, rec).then(
        (a) => {
          rec.status = a.drop ? 'dropped' : a.status;
          deps.log(`sandbox graph ${rec.operation} -> ${rec.status}`);
          if (a.drop) return void req.socket.destroy();
          if (res.destroyed) return;
          const body = a.body === undefined ? '' : JSON.stringify(a.body);
          const type = body ? { 'Content-Type': 'application/json; charset=utf-8' } : {};
          res.writeHead(a.status, { ...type, ...a.headers }).end(body);
        },
        (e: unknown) => {
          deps.log(`sandbox graph internal error: ${e instanceof Error ? e.message : String(e)}`);
          if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
        },
      );
    },
    controls(port) {
      return {
        graphUrl: `http://127.0.0.1:${port}/v1.0`,
        authorityHost: `http://127.0.0.1:${port}`,
        tokens: tokens.stats,
        stats,
        requests,
        approveDeviceCodes: () => tokens.approveDeviceCodes(),
        revokeTokens: () => tokens.revokeAll(),
      };
    },
  };
}
