/**
 * ews-javascript-api 0.15.3 calls `util.isNullOrUndefined`, which Node.js removed in version 23
 * (deprecated since 4). Without it every request that names an extended property (the
 * `X-IMSpooler-Item-Id` header: every send and every look-up) fails with
 * "isNullOrUndefined is not a function" on the Node.js 24 the project runs on. The library reads
 * the function from the shared `util` module object at call time, so restoring it here, once,
 * before the first request, is enough. It is imported by `ews-service.ts`, through which every
 * EWS request is built.
 */
import util from 'node:util';

const shared = util as unknown as Record<string, unknown>;
if (typeof shared['isNullOrUndefined'] !== 'function') {
  shared['isNullOrUndefined'] = (value: unknown): boolean => value === null || value === undefined;
}
