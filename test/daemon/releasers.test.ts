import { describe, expect, it } from 'vitest';
import { withReleasers } from '../../src/daemon/releasers.js';

function recorder() {
  const order: string[] = [];
  const errors: { name: string; message: string; failedStart: boolean }[] = [];
  const opts = {
    onReleaseError: (name: string, e: unknown, failedStart: boolean) =>
      errors.push({ name, message: (e as Error).message, failedStart }),
  };
  const adds = (names: string[], r: { add(n: string, f: () => unknown): void }) => {
    for (const n of names) r.add(n, () => void order.push(n));
  };
  return { order, errors, opts, adds };
}

describe('withReleasers', () => {
  it('a start that fails releases what it had acquired, last first, and rethrows its own error', async () => {
    const t = recorder();
    const boom = new Error('daemon.json: EIO');
    const started = withReleasers(async (r) => {
      t.adds(['queue lock', 'queue database', 'transport'], r);
      throw boom;
    }, t.opts);
    await expect(started).rejects.toBe(boom);
    expect(t.order).toEqual(['transport', 'queue database', 'queue lock']);
    expect(t.errors).toEqual([]);
  });

  it('a release that fails meanwhile is reported, the others still run, the first error wins', async () => {
    const t = recorder();
    const boom = new Error('start failed');
    const started = withReleasers(async (r) => {
      t.adds(['queue lock'], r);
      r.add('transport', () => {
        throw new Error('socket hang up');
      });
      t.adds(['control inbox'], r);
      throw boom;
    }, t.opts);
    await expect(started).rejects.toBe(boom);
    expect(t.order).toEqual(['control inbox', 'queue lock']);
    expect(t.errors).toEqual([{ name: 'transport', message: 'socket hang up', failedStart: true }]);
  });

  it('a start that succeeds keeps its releases for the stop, which runs them once, in reverse', async () => {
    const t = recorder();
    const running = await withReleasers(async (r, release) => {
      t.adds(['queue lock', 'scheduler'], r);
      r.add('spool monitor', async () => {
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('watcher already closed');
      });
      return { stop: release };
    }, t.opts);
    expect(t.order).toEqual([]);
    await Promise.all([running.stop(), running.stop()]);
    await running.stop();
    expect(t.order).toEqual(['scheduler', 'queue lock']);
    expect(t.errors).toEqual([
      { name: 'spool monitor', message: 'watcher already closed', failedStart: false },
    ]);
  });
});
