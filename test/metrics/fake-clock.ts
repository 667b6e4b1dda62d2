import type { Clock } from '../../src/clock.js';

/** A clock the test moves by hand. Timers are not needed by the metrics code. */
export function fakeClock(start = Date.parse('2026-11-24T10:00:00Z')): Clock & {
  advance(ms: number): void;
} {
  let now = start;
  return {
    now: () => now,
    setTimeout: () => undefined,
    clearTimeout: () => {},
    advance(ms) {
      now += ms;
    },
  };
}
