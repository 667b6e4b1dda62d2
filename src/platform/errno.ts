/** The `code` of a Node.js system error (`ENOENT`, `EPERM`...), if it has a string one. */
export const errnoCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
