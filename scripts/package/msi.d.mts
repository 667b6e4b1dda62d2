/** Types of msi.mjs, for the tests. */
export const ENVIRONMENT_ROWS: [string, string, string, string][];
export function environmentQueries(): string[];
export function renderWxs(version: string, exe: string): string;
export function buildMsi(opts: { exe: string; version: string; out: string; work: string }): void;
