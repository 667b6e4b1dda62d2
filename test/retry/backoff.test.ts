import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { exponentialBackoff, nextAttemptAt, type Jitter } from '../../src/retry/backoff.js';

/** A small seeded generator (mulberry32), so "random" sequences repeat exactly. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const S = 1000;
const retry = { minDelay: 30 * S, maxDelay: 3600 * S };
const JITTERS: Jitter[] = ['full', 'decorrelated', 'none'];

describe('exponentialBackoff', () => {
  it('without jitter doubles from minDelay and stops at maxDelay', () => {
    const b = exponentialBackoff({ ...retry, jitter: 'none' });
    const seq = [1, 2, 3, 4, 5, 6, 7, 8, 20, 1000].map((n) => b.delayFor(n, Math.random));
    expect(seq).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600].map((s) => s * S));
  });

  it('honours another factor', () => {
    const b = exponentialBackoff({ minDelay: 100, maxDelay: 10_000, factor: 3, jitter: 'none' });
    expect([1, 2, 3, 4, 5].map((n) => b.delayFor(n, Math.random))).toEqual([
      100, 300, 900, 2700, 8100,
    ]);
  });

  it('keeps every delay within [minDelay, maxDelay], whatever the jitter, attempt or random', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...JITTERS),
        fc.integer({ min: -5, max: 200 }),
        fc.integer(),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (jitter, attempt, seed, min, span) => {
          const b = exponentialBackoff({ minDelay: min, maxDelay: min + span, jitter });
          const d = b.delayFor(attempt, seeded(seed));
          return Number.isInteger(d) && d >= min && d <= min + span;
        },
      ),
    );
  });

  it('survives a broken random source', () => {
    for (const jitter of JITTERS) {
      const b = exponentialBackoff({ ...retry, jitter });
      for (const r of [NaN, -1, 2, Infinity]) {
        const d = b.delayFor(5, () => r);
        expect(d).toBeGreaterThanOrEqual(retry.minDelay);
        expect(d).toBeLessThanOrEqual(retry.maxDelay);
      }
    }
  });

  it('has a cap that never shrinks from one attempt to the next', () => {
    const b = exponentialBackoff(retry);
    let prev = 0;
    for (let n = 1; n <= 100; n++) {
      const cap = b.capFor(n);
      expect(cap).toBeGreaterThanOrEqual(prev);
      prev = cap;
    }
    expect(prev).toBe(retry.maxDelay);
  });

  it('full jitter stays under the attempt cap and starts at minDelay', () => {
    const b = exponentialBackoff(retry);
    expect(b.delayFor(1, () => 0.99)).toBe(retry.minDelay);
    const random = seeded(7);
    for (let n = 1; n <= 30; n++) expect(b.delayFor(n, random)).toBeLessThanOrEqual(b.capFor(n));
  });

  it('gives the same sequence for the same seed, and another for another seed', () => {
    for (const jitter of ['full', 'decorrelated'] as const) {
      const b = exponentialBackoff({ ...retry, jitter });
      const run = (seed: number) => {
        const r = seeded(seed);
        return Array.from({ length: 12 }, (_, i) => b.delayFor(i + 1, r));
      };
      expect(run(42)).toEqual(run(42));
      expect(run(42)).not.toEqual(run(43));
    }
  });

  it('is an immutable value', () => {
    const b = exponentialBackoff(retry);
    expect(Object.isFrozen(b)).toBe(true);
    expect(b).toMatchObject({
      minDelay: retry.minDelay,
      maxDelay: retry.maxDelay,
      factor: 2,
      jitter: 'full',
    });
  });

  it('refuses nonsense options', () => {
    expect(() => exponentialBackoff({ minDelay: -1, maxDelay: 10 })).toThrow(RangeError);
    expect(() => exponentialBackoff({ minDelay: 10, maxDelay: 5 })).toThrow(/maxDelay/);
    expect(() => exponentialBackoff({ minDelay: 1, maxDelay: 5, factor: 0.5 })).toThrow(/factor/);
  });
});

describe('nextAttemptAt', () => {
  const backoff = exponentialBackoff({ ...retry, jitter: 'none' });
  const t0 = Date.parse('2026-11-24T10:00:00Z');
  const maxAge = 72 * 3600 * S;
  const base = { firstSeenAt: t0, backoff, maxAge, random: seeded(1) };

  it('schedules the next attempt after the backoff delay', () => {
    expect(nextAttemptAt({ ...base, now: t0 + 5 * S, attempts: 1 })).toEqual({
      kind: 'retry',
      at: t0 + 35 * S,
    });
    expect(nextAttemptAt({ ...base, now: t0, attempts: 3 })).toEqual({
      kind: 'retry',
      at: t0 + 120 * S,
    });
  });

  it("takes the server's BackOffMilliseconds as a minimum, not a replacement", () => {
    expect(nextAttemptAt({ ...base, now: t0, attempts: 1, serverBackOffMs: 300_000 })).toEqual({
      kind: 'retry',
      at: t0 + 300_000,
    });
    // A shorter server hint does not shorten our own backoff.
    expect(nextAttemptAt({ ...base, now: t0, attempts: 4, serverBackOffMs: 1_000 })).toEqual({
      kind: 'retry',
      at: t0 + 240 * S,
    });
  });

  it('expires once the retry window is over', () => {
    expect(nextAttemptAt({ ...base, now: t0 + maxAge, attempts: 9 })).toEqual({ kind: 'expire' });
    expect(nextAttemptAt({ ...base, now: t0 + maxAge + 1, attempts: 9 })).toEqual({
      kind: 'expire',
    });
  });

  it('expires when the next attempt would fall after the window', () => {
    const now = t0 + maxAge - 3599 * S;
    expect(nextAttemptAt({ ...base, now, attempts: 50 })).toEqual({ kind: 'expire' });
    expect(nextAttemptAt({ ...base, now: now - S, attempts: 50 })).toEqual({
      kind: 'retry',
      at: t0 + maxAge,
    });
    expect(nextAttemptAt({ ...base, now: t0, attempts: 1, serverBackOffMs: maxAge + 1 })).toEqual({
      kind: 'expire',
    });
  });

  it('never schedules in the past or beyond the window (property)', () => {
    const jittered = exponentialBackoff(retry);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 * maxAge }),
        fc.integer({ min: 1, max: 60 }),
        fc.option(fc.integer({ min: 0, max: 10 * 3600 * S }), { nil: undefined }),
        fc.integer(),
        (elapsed, attempts, serverBackOffMs, seed) => {
          const now = t0 + elapsed;
          const r = nextAttemptAt({
            now,
            attempts,
            firstSeenAt: t0,
            backoff: jittered,
            maxAge,
            random: seeded(seed),
            ...(serverBackOffMs !== undefined ? { serverBackOffMs } : {}),
          });
          if (r.kind === 'expire') return true;
          return (
            r.at >= now + retry.minDelay &&
            r.at >= now + (serverBackOffMs ?? 0) &&
            r.at <= t0 + maxAge
          );
        },
      ),
    );
  });
});
