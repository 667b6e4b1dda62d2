import { describe, expect, it } from 'vitest';
import {
  decideAfterCreate,
  decideBefore,
  decideCreate,
  FaultConfigError,
  FaultController,
  normalizeFaults,
} from '../../src/sandbox/faults.js';

describe('normalizeFaults', () => {
  it('accepts shorthands and normalises them', () => {
    expect(
      normalizeFaults({
        http401: true,
        slowMs: 250,
        serverBusy: { backOffMs: 5000, count: 2 },
        responseCode: 'ErrorQuotaExceeded',
        recipientErrors: { 'Bob@Contoso.com': 'ErrorInvalidRecipients' },
        http503: false,
      }),
    ).toEqual({
      http401: {},
      slowMs: { ms: 250 },
      serverBusy: { backOffMs: 5000, count: 2 },
      responseCode: { code: 'ErrorQuotaExceeded' },
      recipientErrors: { 'bob@contoso.com': { code: 'ErrorInvalidRecipients' } },
    });
  });

  it.each([
    [{ teapot: true }, "unknown fault 'teapot'"],
    [{ http401: { count: 0 } }, 'http401.count'],
    [{ slowMs: -1 }, 'slowMs'],
    [{ responseCode: 'NoSuchThing' }, 'responseCode'],
    [{ serverBusy: { on: ['DeleteItem'] } }, 'serverBusy.on'],
    [{ dropAfterAccept: { on: ['FindItem'] } }, 'dropAfterAccept.on: not allowed here'],
    [{ dropAfterAccept: { on: ['CreateItem'] } }, 'applies to CreateItem only'],
    [[], 'expected a JSON object'],
  ])('rejects %j', (input, message) => {
    expect(() => normalizeFaults(input)).toThrow(FaultConfigError);
    expect(() => normalizeFaults(input)).toThrow(message);
  });
});

describe('decideBefore', () => {
  it('proceeds with no faults', () => {
    expect(decideBefore({}, 'CreateItem')).toEqual({
      decision: { action: 'proceed' },
      delayMs: 0,
      next: {},
    });
  });

  it('applies drop, then 401, then 503, then busy, and adds the delay', () => {
    const all = normalizeFaults({ dropBeforeAccept: true, http401: true, http503: true, serverBusy: { backOffMs: 9 }, slowMs: 5 }); // prettier-ignore
    expect(decideBefore(all, 'FindItem').decision).toEqual({ action: 'drop' });
    const { dropBeforeAccept: _d, ...no1 } = all;
    expect(decideBefore(no1, 'FindItem').decision).toEqual({ action: 'http', status: 401 });
    const { http401: _h, ...no2 } = no1;
    expect(decideBefore(no2, 'FindItem').decision).toEqual({ action: 'http', status: 503 });
    const { http503: _t, ...no3 } = no2;
    expect(decideBefore(no3, 'FindItem')).toMatchObject({
      decision: { action: 'busy', backOffMs: 9 },
      delayMs: 5,
    });
  });

  it('takes counts off and removes used-up faults', () => {
    let state = normalizeFaults({ http503: { count: 2 } });
    const first = decideBefore(state, 'CreateItem');
    expect(first.next).toEqual({ http503: { count: 1 } });
    state = decideBefore(first.next, 'CreateItem').next;
    expect(state).toEqual({});
    expect(decideBefore(state, 'CreateItem').decision.action).toBe('proceed');
  });

  it('honours `on`, and never applies an operation-limited fault to an unparsed request', () => {
    const state = normalizeFaults({ serverBusy: { on: ['FindItem'], count: 1 } });
    expect(decideBefore(state, 'CreateItem')).toMatchObject({
      decision: { action: 'proceed' },
      next: state,
    });
    expect(decideBefore(state, undefined).decision.action).toBe('proceed');
    expect(decideBefore(state, 'FindItem')).toMatchObject({
      decision: { action: 'busy' },
      next: {},
    });
  });
});

describe('decideCreate and decideAfterCreate', () => {
  it('reports the first recipient with an error, case-insensitively, with a default message', () => {
    const state = normalizeFaults({ recipientErrors: { 'b@x.com': 'ErrorNonExistentMailbox', 'c@x.com': { code: 'ErrorInvalidRecipients', message: 'nope', count: 1 } } }); // prettier-ignore
    expect(decideCreate(state, ['a@x.com', 'C@x.com', 'b@x.com'])).toEqual({
      error: { code: 'ErrorInvalidRecipients', message: 'nope' },
      next: { recipientErrors: { 'b@x.com': { code: 'ErrorNonExistentMailbox' } } },
    });
    expect(decideCreate(state, ['b@x.com']).error?.message).toBe('The SMTP address has no mailbox associated with it.'); // prettier-ignore
    expect(decideCreate(state, ['a@x.com'])).toEqual({ error: undefined, next: state });
  });

  it('a generic response code wins over recipient errors', () => {
    const state = normalizeFaults({ responseCode: { code: 'ErrorExceededConnectionCount', count: 1 }, recipientErrors: { 'a@x.com': 'ErrorInvalidRecipients' } }); // prettier-ignore
    const r = decideCreate(state, ['a@x.com']);
    expect(r.error?.code).toBe('ErrorExceededConnectionCount');
    expect(r.next.responseCode).toBeUndefined();
  });

  it('dropAfterAccept counts down', () => {
    const r = decideAfterCreate(normalizeFaults({ dropAfterAccept: { count: 1 } }));
    expect(r).toEqual({ drop: true, next: {} });
    expect(decideAfterCreate(r.next).drop).toBe(false);
  });
});

describe('FaultController', () => {
  it('set replaces, clear empties, get returns a copy', () => {
    const c = new FaultController({ http401: true });
    c.set({ http503: { count: 1 } });
    const snapshot = c.get();
    expect(snapshot).toEqual({ http503: { count: 1 } });
    expect(c.before('GetItem').decision).toEqual({ action: 'http', status: 503 });
    expect(snapshot).toEqual({ http503: { count: 1 } });
    expect(c.get()).toEqual({});
    c.set({ slowMs: 10 });
    c.clear();
    expect(c.get()).toEqual({});
  });
});
