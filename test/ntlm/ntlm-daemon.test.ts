import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/sandbox-server.js';
import { jsonItem, makeWorld, waitUntil, type World } from '../e2e/harness.js';

// The real daemon (dist/, run `npm run build` first) against an NTLM sandbox whose EWS URL it
// finds by Autodiscover: what an on-premises installation with `"url": "autodiscover"` does.
let world: World | undefined;
let ntlm: SandboxHandle | undefined;
afterEach(async () => {
  await world?.close();
  await ntlm?.close();
  world = ntlm = undefined;
});

const ACCOUNT = { username: 'alice', domain: 'CONTOSO', password: 'On-Prem & "NTLM" pw' };

async function onPremWorld() {
  world = await makeWorld({
    delivery: {
      ews: {
        url: 'autodiscover',
        auth: { type: 'ntlm', username: 'alice', domain: 'CONTOSO', passwordEnv: 'IMSPOOLER_EWS_PASSWORD' }, // prettier-ignore
      },
    },
  });
  ntlm = await startSandbox({
    mailboxDir: world.mailbox,
    auth: { ntlm: ACCOUNT },
    autodiscover: { mailboxes: { 'alice@contoso.com': {} } },
  });
  return { w: world, env: { IMSPOOLER_TEST_AUTODISCOVER_ORIGIN: `http://127.0.0.1:${ntlm.port}` } };
}

describe('the daemon on premises: Autodiscover and NTLM', () => {
  it('finds EWS by Autodiscover for the sender, authenticates with NTLM and delivers', async () => {
    const { w, env } = await onPremWorld();
    const daemon = w.start({ ...env, IMSPOOLER_EWS_PASSWORD: ACCOUNT.password });
    await daemon.waitForLine((l) => l.event?.action === 'daemon.started', 'daemon.started');
    await w.drop('im-1.json', jsonItem(1, ['bob@contoso.com']));
    await daemon.waitForLine((l) => l.event?.action === 'delivery.succeeded', 'delivery.succeeded', 15_000); // prettier-ignore
    expect(await w.delivered()).toHaveLength(1);
    const cache = JSON.parse(await readFile(join(w.stateDir, 'autodiscover.json'), 'utf8')) as { entries: Record<string, { ewsUrl: string }> }; // prettier-ignore
    expect(cache.entries['contoso.com']?.ewsUrl).toBe(ntlm!.url);
  });

  it('a wrong NTLM password fails the item once, permanently (AuthenticationFailed), without a loop', async () => {
    const { w, env } = await onPremWorld();
    // Autodiscover asks with the same credentials: the refusal comes from there.
    const daemon = w.start({ ...env, IMSPOOLER_EWS_PASSWORD: 'wrong-password' });
    await daemon.waitForLine((l) => l.event?.action === 'daemon.started', 'daemon.started');
    await w.drop('im-2.json', jsonItem(2, ['bob@contoso.com']));
    const line = await daemon.waitForLine((l) => l.event?.action === 'delivery.failed', 'delivery.failed', 15_000); // prettier-ignore
    expect(JSON.stringify(line)).not.toContain('wrong-password');
    expect(JSON.stringify(line)).toContain('AuthenticationFailed');
    await waitUntil(async () => (await w.cli('status', '--json')).stdout.includes('"failed"'), 'failed in status', 10_000); // prettier-ignore
    expect(daemon.actions('delivery.deferred')).toHaveLength(0);
    expect(await w.delivered()).toHaveLength(0);
  });
});
