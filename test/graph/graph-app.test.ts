import { afterEach, describe, expect, it } from 'vitest';
import { isDeliveryError, type DeliveryError } from '../../src/errors/errors.js';
import { makeGraphTransport, type GraphTransport } from '../../src/graph/graph-transport.js';
import { classify } from '../../src/retry/classify.js';
import { appTokens, CLIENT_ID, graphWorld, request, type GraphWorld } from './graph-world.js';

let world: GraphWorld | undefined;
let transport: GraphTransport | undefined;
afterEach(async () => {
  await transport?.close();
  await world?.close();
  world = transport = undefined;
});

const SECRET = 'not-a-real-secret-0123456789';

async function appTransport(secret = SECRET) {
  world = await graphWorld({ clientSecret: SECRET });
  const tokens = appTokens(world, secret);
  transport = makeGraphTransport({ url: world.graphUrl, tokens, mailbox: { kind: 'sender' }, timeoutMs: 3000, settleMs: 300 }); // prettier-ignore
  return { world, transport };
}

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    if (isDeliveryError(e)) return e;
    throw e;
  }
  throw new Error('expected a DeliveryError');
}

describe('Graph transport with app-only client credentials (secret) over real HTTP', () => {
  it('sends with the item class, the item header and a saved copy, as the sender', async () => {
    const { world: w, transport: t } = await appTransport();
    await t.send(request({ cc: ['carol@fabrikam.com'] }));
    const [mail, ...rest] = await w.delivered();
    expect(rest).toHaveLength(0);
    expect(mail!.headers.get('x-item-class')).toBe('IPM.Note.Microsoft.Missed');
    expect(mail!.headers.get('x-imspooler-item-id')).toBe('0123abcd/org');
    expect(mail!.headers.get('x-imspooler-sandbox-folder')).toBe('sentitems');
    expect(mail!.subject).toBe('Missed conversation with Alice');
    expect(mail!.html).toBe('<p>Hello &amp; welcome</p>');
    expect(mail!.headers.get('cc')).toMatchObject({ text: 'carol@fabrikam.com' });
    const g = w.sandbox.graph!;
    expect(g.tokens.clientCredentials).toBe(1);
    const sent = g.requests.find((r) => r.operation === 'sendMail');
    expect(sent).toMatchObject({ status: 202, path: '/v1.0/users/alice%40contoso.com/sendMail' });
    expect(sent?.subject).toBe(`app:${CLIENT_ID}`);
  });

  it('reuses the token for later requests and finds the copy by its header', async () => {
    const { world: w, transport: t } = await appTransport();
    await t.send(request());
    await t.send(request({ itemClass: 'IPM.Note', group: 'fed', headerValue: '0123abcd/fed' }));
    expect(await t.findSent('0123abcd/fed', undefined, 'alice@contoso.com')).toBe(true);
    expect(await t.findSent("never/sent'quote", undefined, 'alice@contoso.com')).toBe(false);
    expect(w.sandbox.graph!.tokens.clientCredentials).toBe(1);
    const classes = (await w.delivered()).map((m) => m.headers.get('x-item-class'));
    expect(classes).toEqual(['IPM.Note.Microsoft.Missed', 'IPM.Note']);
  });

  it('a wrong secret is TokenUnavailable (transient), and the secret is not in the message', async () => {
    const { world: w, transport: t } = await appTransport('wrong-secret-value-999');
    const err = await failure(t.send(request()));
    expect(err.code).toBe('TokenUnavailable');
    expect(err.message).toMatch(/invalid_client|AADSTS7000215/);
    expect(err.message).not.toContain('wrong-secret-value-999');
    expect(classify(err).kind).toBe('transient');
    expect(await w.delivered()).toHaveLength(0);
  });

  it('429 with Retry-After becomes Http429 with backOffMs, classified as a pause', async () => {
    const { world: w, transport: t } = await appTransport();
    w.sandbox.faults.set({ serverBusy: { backOffMs: 7000, count: 1 } });
    const err = await failure(t.send(request()));
    expect(err).toMatchObject({
      code: 'Http429',
      httpStatus: 429,
      backOffMs: 7000,
      unclear: false,
    });
    expect(classify(err)).toMatchObject({ kind: 'transient', backOffMs: 7000, lowerConcurrency: true }); // prettier-ignore
    expect(await w.delivered()).toHaveLength(0);
    await t.send(request()); // the fault was counted: the next one goes through
    expect(await w.delivered()).toHaveLength(1);
  });

  it('503 is Http503 and not unclear; an Exchange code keeps its name and class', async () => {
    const { world: w, transport: t } = await appTransport();
    w.sandbox.faults.set({ http503: { count: 1 } });
    const busy = await failure(t.send(request()));
    expect(busy).toMatchObject({ code: 'Http503', unclear: false });
    expect(classify(busy).kind).toBe('transient');
    w.sandbox.faults.set({ recipientErrors: { 'bob@contoso.com': 'ErrorInvalidRecipients' } });
    const bad = await failure(t.send(request()));
    expect(bad).toMatchObject({ code: 'ErrorInvalidRecipients', httpStatus: 400, unclear: false });
    expect(classify(bad).kind).toBe('permanent');
    w.sandbox.faults.set({ responseCode: 'ErrorQuotaExceeded' });
    expect(classify(await failure(t.send(request()))).kind).toBe('park');
  });

  it('a connection dropped after the server sent it is unclear, and the look-up finds the copy', async () => {
    const { world: w, transport: t } = await appTransport();
    w.sandbox.faults.set({ dropAfterAccept: { count: 1 } });
    const err = await failure(t.send(request()));
    expect(err).toMatchObject({ code: 'ConnectionReset', unclear: true });
    expect(await t.findSent('0123abcd/org', undefined, 'alice@contoso.com')).toBe(true);
    // Also without the sender, within the same run (remembered from the send).
    expect(await t.findSent('0123abcd/org')).toBe(true);
    expect(await w.delivered()).toHaveLength(1);
  });

  it('a connection dropped before the server acted is unclear too, and the look-up finds nothing', async () => {
    const { world: w, transport: t } = await appTransport();
    w.sandbox.faults.set({ dropBeforeAccept: { count: 1, on: ['CreateItem'] } });
    const err = await failure(t.send(request()));
    expect(err.unclear).toBe(true);
    // Graph saves the copy after it answers: a miss right after our own send is looked at again.
    const started = Date.now();
    expect(await t.findSent('0123abcd/org', undefined, 'alice@contoso.com')).toBe(false);
    expect(w.sandbox.graph!.stats.findMessages).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('a refused token is renewed once, transparently; a token refused twice is Http401', async () => {
    const { world: w, transport: t } = await appTransport();
    await t.send(request());
    w.sandbox.graph!.revokeTokens();
    await t.send(request({ headerValue: 'x/org' }));
    expect(w.sandbox.graph!.tokens.clientCredentials).toBe(2);
    const bad = makeGraphTransport({ url: w.graphUrl, tokens: { description: 't', token: async () => 'bad' }, mailbox: { kind: 'fixed', upn: 'svc@contoso.com' }, timeoutMs: 2000 }); // prettier-ignore
    const err = await failure(bad.send(request()));
    expect(err.code).toBe('Http401');
    expect(classify(err).kind).toBe('transient');
    await bad.close();
  });

  it('no answer within the timeout is Timeout and unclear', async () => {
    const { world: w } = await appTransport();
    const tokens = appTokens(w, SECRET);
    const quick = makeGraphTransport({ url: w.graphUrl, tokens, mailbox: { kind: 'sender' }, timeoutMs: 250 }); // prettier-ignore
    w.sandbox.faults.set({ slowMs: { ms: 1500, count: 1 } });
    const err = await failure(quick.send(request()));
    expect(err).toMatchObject({ code: 'Timeout', unclear: true });
    await quick.close();
  });

  it('the probe names the app and never a secret', async () => {
    const { transport: t } = await appTransport();
    const text = await t.probe();
    expect(text).toMatch(/app-only \(client credentials, secret\)/);
    expect(text).not.toContain(SECRET);
  });
});
