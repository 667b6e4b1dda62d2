import util from 'node:util';

/**
 * ews-javascript-api 0.15.3 calls `util.isNullOrUndefined` when it writes an extended property
 * definition with a property set (the `X-IMSpooler-Item-Id` internet header of every CreateItem
 * and FindItem). Node.js 23 removed that function, so on the project's Node.js 24 every EWS
 * delivery failed as `Unknown` ("isNullOrUndefined is not a function"). Put back what the library
 * expects, only where it is missing.
 */
const legacy = util as unknown as { isNullOrUndefined?: (v: unknown) => boolean };
legacy.isNullOrUndefined ??= (v: unknown): boolean => v === null || v === undefined;
