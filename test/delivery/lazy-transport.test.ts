import { afterEach, describe, expect, it } from 'vitest';
import { makeLazyTransport, type Openable } from '../../src/delivery/open/lazy-transport.js';
import type { SendRequest, Transport } from '../../src/delivery/transport.js';
import { isDeliveryError } from '../../src/errors/errors.js';
import { makeWorld, type World } from '../e2e/harness.js';
import { makeInProcessWorld, type InProcessWorld } from '../reliability/in-process.js';

/** Polls until `cond` holds; fails after `ms` (no fixed sleeps for conditions). */
async function waitFor(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const item = JSON.stringify({
  from: 'alice@contoso.com',
  to: ['bob@contoso.com'],
  messages: [{ at: '2026-11-24T09:58:03Z', text: 'Are you free at 3?' }],
});

let world: InProcessWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the transport opens on the first item due (real daemon, sandbox)', () => {
  it('starts, says which transport is configured, and opens nothing while the queue is empty', async () => {
    let opened = 0;
    world = await makeInProcessWorld({
      openTransport: (open) => {
        opened++;
        return open();
      },
    });
    await world.start();
    const started = world.actions('daemon.started');
    expect(started).toHaveLength(1);
    expect(JSON.stringify(started[0])).toContain('"transport":"ews"');
    // Up and answering (daemon.json written, control inbox started) without a transport.
    expect(opened).toBe(0);
    await world.drop('a.json', item);
    await waitFor(() => world!.actions('delivery.succeeded').length === 1, 10_000, 'delivery');
    expect(opened).toBe(1);
    expect(world.lines.some((l) => l.message.includes('ews transport opened'))).toBe(true);
  });

  it('logs a transport that fails to open, defers the item and delivers it once it opens', async () => {
    let attempts = 0;
    world = await makeInProcessWorld({
      openTransport: async (open) => {
        attempts++;
        if (attempts === 1) throw new Error('the token command exited with code 1');
        return open();
      },
    });
    await world.start();
    await world.drop('b.json', item);
    await waitFor(() => world!.actions('delivery.succeeded').length === 1, 15_000, 'delivery');
    const failed = world.lines.filter(
      (l) => l.level === 'error' && l.message.includes('could not be opened'),
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]?.message).toContain('the token command exited with code 1');
    const deferred = world.actions('delivery.deferred');
    expect(deferred).toHaveLength(1);
    expect(deferred[0]?.error?.code).toBe('TransportUnavailable');
    expect(attempts).toBe(2);
    expect(world.sandbox.stats.createItem).toBe(1);
  });
});

describe('the secrets the transport will need (real daemon process)', () => {
  let e2e: World | undefined;
  afterEach(async () => {
    await e2e?.close();
    e2e = undefined;
  });

  it('are checked at start: a password variable that is not set stops the daemon with exit code 2', async () => {
    e2e = await makeWorld({
      delivery: { ews: { auth: { passwordEnv: 'IMSPOOLER_TEST_NOT_SET_PW' } } },
    });
    const d = e2e.start();
    expect(await d.exited).toBe(2);
    expect(d.stderr()).toContain('IMSPOOLER_TEST_NOT_SET_PW is not set');
    expect(d.actions('daemon.started')).toEqual([]);
  });
});

describe('makeLazyTransport', () => {
  const request = { itemId: 'x', group: 'org' } as SendRequest;
  const fakeOpened = (sent: string[], closed: string[]): Openable => {
    const transport: Transport = {
      name: 'ews',
      send: async (r) => void sent.push(r.itemId),
      findSent: async () => false,
      probe: async () => 'ok',
      close: async () => undefined,
    };
    return { transport, close: async () => void closed.push('closed') };
  };

  it('opens once for requests that arrive together; after a failed open, open() tries again', async () => {
    const sent: string[] = [];
    const closed: string[] = [];
    const failures: string[] = [];
    let opens = 0;
    const t = makeLazyTransport({
      name: 'ews',
      open: async () => {
        opens++;
        if (opens === 1) throw new Error('port in use');
        return fakeOpened(sent, closed);
      },
      onOpenFailed: (e) => failures.push(e.code),
    });
    expect(t.name).toBe('ews');
    await t.open();
    expect(t.isOpen()).toBe(false);
    // The requests of this attempt fail with the reason, without opening again.
    const first = await Promise.allSettled([t.send(request), t.send(request)]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const reason = (first[0] as PromiseRejectedResult).reason as unknown;
    expect(isDeliveryError(reason) && reason.code).toBe('TransportUnavailable');
    expect(failures).toEqual(['TransportUnavailable']);
    expect(opens).toBe(1);
    await t.open();
    expect(t.isOpen()).toBe(true);
    await Promise.all([t.send(request), t.send(request)]);
    expect(opens).toBe(2);
    expect(sent).toHaveLength(2);
    await t.close();
    expect(closed).toEqual(['closed']);
    await expect(t.send(request)).rejects.toMatchObject({ code: 'TransportClosed' });
  });

  it('opens nothing when closed before first use', async () => {
    let opens = 0;
    const t = makeLazyTransport({
      name: 'ews',
      open: async () => {
        opens++;
        return fakeOpened([], []);
      },
    });
    await t.close();
    expect(opens).toBe(0);
  });
});
