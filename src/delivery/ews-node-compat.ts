/**
 * ews-javascript-api 0.15.3 calls `util.isNullOrUndefined`, which Node.js removed in version 23
 * (on 22 it still exists but prints a DEP0051 deprecation warning to stderr at its first call).
 * Without it every request that names an extended property (the `X-IMSpooler-Item-Id` header:
 * every send and every look-up) fails with "isNullOrUndefined is not a function" on the Node.js 24
 * the project runs on. The library reads the function from the shared `util` module object at call
 * time, so setting it here, once, before the first request, is enough; the same plain function on
 * every version keeps stderr quiet on 22. It is imported by `ews-service.ts`, through which every
 * EWS request is built.
 */
import util from 'node:util';

(util as unknown as Record<string, unknown>)['isNullOrUndefined'] = (value: unknown): boolean =>
  value === null || value === undefined;
