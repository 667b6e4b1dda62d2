/**
 * Sizes in the config: a whole number of bytes, or a string such as `"10MiB"`, `"512KiB"`, `"1MB"`.
 * Binary units (KiB, MiB, GiB) are powers of 1024, decimal ones (KB, MB, GB) powers of 1000, because
 * that is what the names mean; `K`/`M`/`G` alone are taken as binary, as most people mean them.
 */

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/;

/** Bytes for a config size, or undefined when the value is not a valid size. */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = SIZE.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const unit = UNIT_BYTES[match[2] || 'b'];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A short human form of a size in bytes: `10MiB`, `1.5KiB`, `300B`. */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))}${unit}`;
  }
  return `${bytes}B`;
}
