import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { HealthReport } from './health.js';
import { isLoopback, parseListenAddress } from './listen-address.js';

/** Options of `startMetricsServer`. */
export interface MetricsServerOptions {
  /** `metrics.listen`: a loopback `host:port` (port 0 picks a free one). */
  listen: string;
  metrics: { registry: Registry };
  /** Computes the `/healthz` document (see `makeHealthProbe`). */
  health: () => Promise<HealthReport>;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  url: string;
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts the optional HTTP listener: `GET /metrics` (Prometheus text format) and `GET /healthz`
 * (JSON; 200 when ok, 503 when degraded). Binds loopback only and refuses anything else with a
 * ConfigError naming `metrics.listen`.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(opts.listen);
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `error: ${String(e)}\n`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The daemon decides when the process ends; an idle scrape listener must not keep it alive.
  server.unref();
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: MetricsServerOptions) {
  // A web page could reach a loopback port through DNS rebinding; its Host header gives it away.
  if (!hostHeaderIsLoopback(req.headers.host)) {
    send(res, 403, 'text/plain; charset=utf-8', 'forbidden: not a loopback Host\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/metrics') {
    const registry = opts.metrics.registry;
    send(res, 200, registry.contentType, await registry.metrics(), req.method === 'HEAD');
  } else if (path === '/healthz') {
    const report = await opts.health();
    const body = `${JSON.stringify(report)}\n`;
    send(res, report.status === 'ok' ? 200 : 503, 'application/json', body, req.method === 'HEAD');
  } else {
    send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics or /healthz\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headOnly = false) {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(headOnly ? undefined : body);
}

function hostHeaderIsLoopback(header: string | undefined): boolean {
  if (header === undefined) return true;
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::\d+)?$/.exec(header.trim());
  const name = (m?.[1] ?? m?.[2] ?? '').toLowerCase();
  return name === 'localhost' || isLoopback(name);
}
