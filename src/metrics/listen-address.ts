import { isIP } from 'node:net';
import { ConfigError } from '../errors/errors.js';

/** Where the metrics listener binds: always a loopback address. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `metrics.listen` (`"127.0.0.1:9464"`, `"[::1]:9464"`, `"localhost:9464"`, port 0 for
 * any free port) and refuses every host that is not loopback: the endpoints have no
 * authentication, so they must not be reachable from the network.
 */
export function parseListenAddress(value: string, key = 'metrics.listen'): ListenAddress {
  const fail = (why: string): never => {
    throw new ConfigError([{ key, message: `${JSON.stringify(value)}: ${why}` }]);
  };
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  if (!m) return fail('expected "host:port" such as "127.0.0.1:9464" or "[::1]:9464"');
  const rawHost = (m[1] ?? m[2] ?? '').toLowerCase();
  const port = Number(m[3]);
  if (port > 65535) return fail('the port must be 0-65535');
  // `localhost` may resolve to anything via /etc/hosts: bind the loopback address itself.
  const host = rawHost === 'localhost' ? '127.0.0.1' : rawHost;
  if (!isLoopback(host)) {
    return fail('only a loopback address is allowed (127.0.0.1, ::1 or localhost)');
  }
  return { host, port };
}

/** 127.0.0.0/8 or ::1 (also written as an IPv4-mapped address). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '');
  if (isIP(h) === 4) return h.split('.')[0] === '127';
  if (isIP(h) === 6) return /^(0{0,4}:){1,7}0{0,3}1$|^::1$/.test(h);
  return false;
}
