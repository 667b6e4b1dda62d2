import util from 'node:util';

/**
 * ews-javascript-api 0.15.3 calls `util.isNullOrUndefined` (in ExtendedPropertyDefinition, so on
 * every send: the `X-IMSpooler-Item-Id` property), which Node.js removed in version 23. Put back
 * before the library is used; a no-op on Node.js 22, which still has it.
 */
const legacy = util as unknown as { isNullOrUndefined?: (v: unknown) => boolean };
legacy.isNullOrUndefined ??= (v: unknown): boolean => v === null || v === undefined;
