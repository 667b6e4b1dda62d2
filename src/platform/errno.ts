/** The `code` of a Node.js system error (`ENOENT`, `EPERM`...), if it has a string one. */
export const errnoCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;

/**
 * The message of whatever was thrown, for a log line: an `Error`'s message, the `message` of a
 * result that carries one (intake's `retry-later`, spool/due-entry.ts), else the value as text.
 */
export const errorText = (e: unknown): string =>
  e instanceof Error
    ? e.message
    : typeof (e as { message?: unknown } | undefined)?.message === 'string'
      ? (e as { message: string }).message
      : String(e);
