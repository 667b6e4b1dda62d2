/**
 * Durations in the config: a number of seconds (fractions allowed), or a string of one or more
 * number+unit parts such as `"500ms"`, `"2m"`, `"1h30m"`, `"1.5s"`. A bare numeric string counts as
 * seconds, like a number, so that a value from an environment variable means the same either way.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)/gy;
const NUMERIC = /^(\d+(?:\.\d+)?|\.\d+)$/;

/** Milliseconds for a config duration, or undefined when the value is not a valid duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return fromSeconds(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  if (NUMERIC.test(text)) return fromSeconds(Number(text));
  let total = 0;
  let at = 0;
  PART.lastIndex = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const match = PART.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    at = PART.lastIndex;
    while (text[at] === ' ') at++;
  }
  return finite(total);
}

function fromSeconds(seconds: number): number | undefined {
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return finite(seconds * 1000);
}

function finite(ms: number): number | undefined {
  const rounded = Math.round(ms);
  return Number.isSafeInteger(rounded) && rounded >= 0 ? rounded : undefined;
}

/** A short human form of a duration in milliseconds, as the config would write it: `2m`, `1h30m`, `500ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}
