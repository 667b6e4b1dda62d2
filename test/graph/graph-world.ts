/** Shared set-up for the Graph tests: a sandbox with Graph endpoints in a temp folder. */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { SendRequest } from '../../src/delivery/transport.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import type { GraphSandboxOptions } from '../../src/sandbox/graph/graph-sandbox.js';
import { makeAppTokenSource } from '../../src/graph/graph-auth.js';
import { makeWorld, type World } from '../e2e/harness.js';

export const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
export const TENANT = 'contoso.onmicrosoft.com';

export const tempDir = (prefix: string) =>
  fsp.mkdtemp(path.join(os.tmpdir(), `imspooler-${prefix}-`));

export interface GraphWorld {
  sandbox: SandboxHandle;
  dir: string;
  mailbox: string;
  /** `http://127.0.0.1:<port>/<tenant>` */
  authority: string;
  graphUrl: string;
  delivered(): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

export async function graphWorld(graph: GraphSandboxOptions = {}): Promise<GraphWorld> {
  const dir = await tempDir('graph');
  const mailbox = path.join(dir, 'mailbox');
  const sandbox = await startSandbox({ mailboxDir: mailbox, graph: { clientId: CLIENT_ID, ...graph } }); // prettier-ignore
  const g = sandbox.graph!;
  return {
    sandbox,
    dir,
    mailbox,
    authority: `${g.authorityHost}/${TENANT}`,
    graphUrl: g.graphUrl,
    async delivered() {
      const files = (await fsp.readdir(mailbox)).filter((f) => f.endsWith('.eml')).sort();
      return Promise.all(files.map(async (f) => simpleParser(await fsp.readFile(path.join(mailbox, f))))); // prettier-ignore
    },
    async close() {
      await sandbox.close();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

/** App-only tokens (a client secret) from the world's sign-in endpoint, as the transport asks. */
export const appTokens = (world: GraphWorld, secret: string) =>
  makeAppTokenSource({
    authority: world.authority,
    clientId: CLIENT_ID,
    credential: { kind: 'secret', secret },
    scope: 'https://graph.microsoft.com/.default',
    timeoutMs: 5000,
  });

/** What the real daemon tests give the Graph sandbox and the daemon (in its environment). */
const DAEMON_SECRET = 'daemon-secret';

/**
 * The real daemon (needs npm run build) delivering through a new Graph sandbox with an app
 * secret, `faults` set before it starts; resolves once it logged daemon.started. Close `world`
 * and `graph` after the test.
 */
export async function startGraphDaemon(faults?: object) {
  const graph = await graphWorld({ clientSecret: DAEMON_SECRET });
  const g = graph.sandbox.graph!;
  if (faults) graph.sandbox.faults.set(faults);
  const world: World = await makeWorld({
    delivery: {
      transport: 'graph',
      graph: { url: g.graphUrl, authority: g.authorityHost, tenant: TENANT, clientId: CLIENT_ID, auth: { type: 'app', clientSecretEnv: 'IMSPOOLER_GRAPH_SECRET' }, timeout: '5s' }, // prettier-ignore
    },
  });
  const daemon = world.start({ IMSPOOLER_GRAPH_SECRET: DAEMON_SECRET });
  await daemon.waitForLine((l) => l.event?.action === 'daemon.started', 'daemon.started');
  return { graph, g, world, daemon };
}

export const request = (over: Partial<SendRequest> = {}): SendRequest => ({
  itemId: '0123abcd',
  group: 'org',
  itemClass: 'IPM.Note.Microsoft.Missed',
  from: 'alice@contoso.com',
  to: ['bob@contoso.com'],
  cc: [],
  subject: 'Missed conversation with Alice',
  html: '<p>Hello &amp; welcome</p>',
  headerValue: '0123abcd/org',
  ...over,
});
