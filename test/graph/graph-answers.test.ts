import { describe, expect, it } from 'vitest';
import { isDeliveryError } from '../../src/errors/errors.js';
import { makeGraphTransport } from '../../src/graph/graph-transport.js';

/**
 * A Graph answer that says success but holds something else is reported by what is wrong with it
 * (issue 12, item 8), not read as "nothing found" or a TypeError. Graph itself is replaced by a
 * fetch that answers every request with the same body, as a misbehaving proxy would.
 */
function transportAnswering(body: string) {
  return makeGraphTransport({
    url: 'http://graph.invalid/v1.0',
    tokens: { description: 'test token', token: async () => 't' },
    mailbox: { kind: 'fixed', upn: 'svc@contoso.com' },
    timeoutMs: 2000,
    fetch: async () =>
      new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
  });
}

describe('Graph answers of the wrong shape', () => {
  it('a look-up answer without a list of matches is an InvalidResponse naming the field', async () => {
    for (const [body, what] of [
      ['{"value":"none"}', 'value is "none", expected an array'],
      ['{}', 'value is missing, expected an array'],
      ['null', 'the value is null, expected an object'],
      ['<html>proxy</html>', 'not valid JSON'],
    ] as const) {
      const err = await transportAnswering(body)
        .findSent('cd00/org')
        .catch((e: unknown) => e);
      expect(isDeliveryError(err) && err.code).toBe('InvalidResponse');
      expect((err as Error).message).toContain(
        `Graph find: the answer of http://graph.invalid: ${what}`,
      );
    }
  });

  it('a look-up answer with a list says whether anything matched', async () => {
    expect(await transportAnswering('{"value":[{"id":"1"}]}').findSent('cd00/org')).toBe(true);
    expect(await transportAnswering('{"value":[]}').findSent('cd00/org')).toBe(false);
  });

  it('a folder answer without a usable name falls back to the folder’s usual name', async () => {
    expect(await transportAnswering('{"displayName":7}').probe()).toContain(
      'folders "Sent Items" and "Conversation History" reachable',
    );
    expect(await transportAnswering('{"displayName":"Gesendete Elemente"}').probe()).toContain(
      '"Gesendete Elemente"',
    );
  });
});
