// Test helpers: sandboxes standing in for the hosts of a domain, a port nobody listens on.
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  startSandbox,
  type SandboxHandle,
  type SandboxOptions,
} from '../../src/sandbox/sandbox-server.js';

export const tempDir = (prefix: string) => fsp.mkdtemp(path.join(os.tmpdir(), `imsp-${prefix}-`));

/** A loopback port that was just closed: connecting to it is refused at once. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function sandbox(
  opts: Omit<SandboxOptions, 'mailboxDir'>,
  open: SandboxHandle[],
): Promise<SandboxHandle & { origin: string; dir: string }> {
  const dir = await tempDir('adsbx');
  const h = await startSandbox({ ...opts, mailboxDir: dir });
  open.push(h);
  return Object.assign(h, { origin: `http://127.0.0.1:${h.port}`, dir });
}

/** `urlFor` that sends each logical host to a sandbox's origin, and every other host nowhere. */
export function hostMap(map: Record<string, string>, nowhere: number) {
  const seen: string[] = [];
  const urlFor = (u: URL): string => {
    seen.push(u.href);
    return `${map[u.hostname] ?? `http://127.0.0.1:${nowhere}`}${u.pathname}${u.search}`;
  };
  return { urlFor, seen };
}
