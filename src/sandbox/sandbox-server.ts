import http from 'node:http';
import type { Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { runOperation } from './ews-operations.js';
import {
  FaultConfigError,
  FaultController,
  type EwsOperation,
  type FaultConfig,
} from './faults.js';
import { makeGraphRoutes, type GraphSandboxControls, type GraphSandboxOptions } from './graph/graph-sandbox.js'; // prettier-ignore
import { openMailbox } from './mailbox-store.js';
import { makeNtlmGate, type NtlmAccount } from './ntlm/ntlm-gate.js';
import {
  AUTODISCOVER_PATH,
  serveAutodiscover,
  type SandboxAutodiscover,
} from './autodiscover/autodiscover-endpoint.js';
import { parseEnvelope, SchemaViolation, type ParsedEnvelope } from './request-parser.js';
import { schemaValidationFault, serverBusyFault } from './soap-responses.js';

/** Credentials the sandbox demands; absent = any or no credentials are accepted. */
export type SandboxAuth =
  | { username: string; password: string }
  | { token: string }
  /** NTLMv2, checked per connection (see ntlm/ntlm-gate.ts). */
  | { ntlm: NtlmAccount };

export interface SandboxOptions {
  /** 0 or absent: any free port. */
  port?: number;
  host?: '127.0.0.1';
  /** Folder for delivered .eml files; created if missing; earlier saved copies are re-indexed. */
  mailboxDir: string;
  faults?: FaultConfig;
  auth?: SandboxAuth;
  /** Answers of the POX Autodiscover endpoint at `/autodiscover/autodiscover.xml`. */
  autodiscover?: SandboxAutodiscover;
  /** Also serve Microsoft Graph mail and identity-platform endpoints (graph/graph-sandbox.ts). */
  graph?: GraphSandboxOptions;
  /** One line per request (never bodies or credentials). */
  log?: (line: string) => void;
  /** How many requests `handle.requests` keeps (default 100). */
  maxRecorded?: number;
}

/** One EWS request as received, for tests. */
export interface RecordedRequest {
  at: string;
  operation: EwsOperation | string | undefined;
  /** Raw SOAP request body. */
  body: string;
  /** HTTP status answered, or 'dropped' when the socket was destroyed instead. */
  status: number | 'dropped';
  /** Raw response body ('' for empty answers and drops). */
  response: string;
}

/** Counters for tests: operations performed (after faults), concurrency seen. */
export interface SandboxStats {
  requests: number;
  createItem: number;
  findItem: number;
  getItem: number;
  inFlight: number;
  maxInFlight: number;
}

export interface SandboxHandle {
  /** `http://127.0.0.1:<port>/EWS/Exchange.asmx` */
  url: string;
  port: number;
  faults: FaultController;
  /** The last `maxRecorded` EWS requests, oldest first. */
  requests: RecordedRequest[];
  stats: SandboxStats;
  /** Graph URLs, token counters and switches; present when started with `graph`. */
  graph?: GraphSandboxControls;
  close(): Promise<void>;
}

export const EWS_PATH = '/EWS/Exchange.asmx';
export const FAULTS_PATH = '/sandbox/faults';
const MAX_BODY = 64 * 1024 * 1024;
const XML = { 'Content-Type': 'text/xml; charset=utf-8' };

function authorized(header: string | undefined, auth: SandboxAuth | undefined): boolean {
  if (!auth || 'ntlm' in auth) return true; // NTLM: the gate admitted the connection already
  const same = (a: string, b: string) => {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  };
  if ('token' in auth) return same(header ?? '', `Bearer ${auth.token}`);
  const basic = /^Basic\s+(.+)$/i.exec(header ?? '')?.[1];
  const expected = `${auth.username}:${auth.password}`;
  return basic !== undefined && same(Buffer.from(basic, 'base64').toString('utf8'), expected);
}

const challenge = (auth: SandboxAuth | undefined): string =>
  auth && 'ntlm' in auth ? 'NTLM' : auth && 'token' in auth ? 'Bearer realm="sandbox"' : 'Basic realm="sandbox"'; // prettier-ignore

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) resolve(undefined);
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the EWS sandbox on 127.0.0.1. */
export async function startSandbox(opts: SandboxOptions): Promise<SandboxHandle> {
  const store = await openMailbox(opts.mailboxDir);
  const faults = new FaultController(opts.faults);
  const requests: RecordedRequest[] = [];
  const stats: SandboxStats = { requests: 0, createItem: 0, findItem: 0, getItem: 0, inFlight: 0, maxInFlight: 0 }; // prettier-ignore
  const maxRecorded = opts.maxRecorded ?? 100;
  const sockets = new Set<Socket>();
  const waits = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  const log = opts.log ?? (() => undefined);

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const w = { timer: setTimeout(() => (waits.delete(w), resolve()), ms), done: resolve };
      waits.add(w);
    });
  const graph = opts.graph ? makeGraphRoutes(opts.graph, { store, faults, log, sleep }) : undefined;

  async function handleEws(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const body = await readBody(req);
    const record: RecordedRequest = { at: new Date().toISOString(), operation: undefined, body: body ?? '', status: 0, response: '' }; // prettier-ignore
    requests.push(record);
    if (requests.length > maxRecorded) requests.shift();
    const finish = (
      status: number | 'dropped',
      text = '',
      headers: http.OutgoingHttpHeaders = {},
    ) => {
      record.status = status;
      record.response = text;
      log(`sandbox ${record.operation ?? '-'} -> ${status} (${Date.now() - started} ms)`);
      if (status === 'dropped') req.socket.destroy();
      else if (!res.destroyed)
        res.writeHead(status, text ? { ...XML, ...headers } : headers).end(text);
    };
    if (body === undefined) return finish(413);
    if (!authorized(req.headers.authorization, opts.auth)) {
      return finish(401, '', { 'WWW-Authenticate': challenge(opts.auth) });
    }
    let parsed: ParsedEnvelope | SchemaViolation;
    try {
      parsed = parseEnvelope(body);
      record.operation = parsed.request.op === 'Other' ? parsed.request.name : parsed.request.op;
    } catch (e) {
      if (!(e instanceof SchemaViolation)) throw e;
      parsed = e;
    }
    const op = parsed instanceof SchemaViolation || parsed.request.op === 'Other' ? undefined : parsed.request.op; // prettier-ignore
    const { decision, delayMs } = faults.before(op);
    const answer = async (): Promise<[number | 'dropped', string?, http.OutgoingHttpHeaders?]> => {
      switch (decision.action) {
        case 'drop':
          return ['dropped'];
        case 'http':
          return decision.status === 401
            ? [401, '', { 'WWW-Authenticate': challenge(opts.auth) }]
            : [503];
        case 'busy':
          return [500, serverBusyFault(decision.backOffMs)];
      }
      if (parsed instanceof SchemaViolation) return [500, schemaValidationFault(parsed.message)];
      const result = await runOperation(parsed.request, { store, faults, serverVersion: parsed.serverVersion }); // prettier-ignore
      if (op === 'CreateItem') stats.createItem += 1;
      if (op === 'FindItem') stats.findItem += 1;
      if (op === 'GetItem') stats.getItem += 1;
      return result.drop ? ['dropped'] : [result.status, result.body];
    };
    const [status, text, headers] = await answer();
    await sleep(delayMs);
    finish(status, text, headers);
  }

  function handleFaults(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    };
    if (req.method === 'GET') return json(200, faults.get());
    if (req.method === 'DELETE') {
      faults.clear();
      return json(200, faults.get());
    }
    if (req.method !== 'POST') return json(405, { error: 'use GET, POST or DELETE' });
    try {
      faults.set(JSON.parse(body || '{}') as FaultConfig);
      log(`sandbox faults set: ${Object.keys(faults.get()).join(', ') || 'none'}`);
      return json(200, faults.get());
    } catch (e) {
      const message =
        e instanceof FaultConfigError || e instanceof SyntaxError ? e.message : String(e);
      return json(400, { error: message });
    }
  }

  const ntlm = opts.auth && 'ntlm' in opts.auth ? makeNtlmGate(opts.auth.ntlm, log) : undefined;
  const server = http.createServer((req, res) => {
    if (graph?.handles(req)) return graph.serve(req, res);
    const pathname = (req.url ?? '/').split('?')[0]?.toLowerCase();
    const guarded = pathname === EWS_PATH.toLowerCase() || pathname === AUTODISCOVER_PATH;
    if (ntlm && guarded && !ntlm.admit(req, res)) return;
    if (pathname === AUTODISCOVER_PATH) {
      const ewsUrl = `http://127.0.0.1:${port}${EWS_PATH}`;
      const ok = authorized(req.headers.authorization, opts.auth);
      const o = { config: opts.autodiscover ?? {}, ewsUrl, authorized: ok, challenge: challenge(opts.auth) }; // prettier-ignore
      return serveAutodiscover(req, res, o);
    }
    if (pathname === EWS_PATH.toLowerCase() && req.method === 'POST') {
      stats.requests += 1;
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      handleEws(req, res)
        .catch((e: unknown) => {
          log(`sandbox internal error: ${e instanceof Error ? e.message : String(e)}`);
          if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
        })
        .finally(() => (stats.inFlight -= 1));
    } else if (pathname === FAULTS_PATH) {
      readBody(req).then(
        (b) => handleFaults(req, res, b ?? ''),
        () => res.destroy(),
      );
    } else {
      res.writeHead(pathname === EWS_PATH.toLowerCase() ? 405 : 404, { Allow: 'POST' }).end();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}${EWS_PATH}`,
    port,
    faults,
    requests,
    stats,
    ...(graph ? { graph: graph.controls(port) } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of waits) {
          clearTimeout(w.timer);
          w.done();
        }
        waits.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
