import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeAppTokenSource, readCertificate } from '../../src/graph/graph-auth.js';
import { makeGraphTransport } from '../../src/graph/graph-transport.js';
import { CLIENT_ID, graphWorld, request, type GraphWorld } from './graph-world.js';

let world: GraphWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const hasOpenssl = existsSync('/usr/bin/openssl') || existsSync('/usr/local/bin/openssl');
const THUMB = 'AB'.repeat(32);

function keyPair() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

async function sendWith(w: GraphWorld, keyFile: string, thumbprint?: string) {
  const credential = await readCertificate(keyFile, thumbprint);
  const tokens = makeAppTokenSource({ authority: w.authority, clientId: CLIENT_ID, credential, scope: 'https://graph.microsoft.com/.default', timeoutMs: 5000 }); // prettier-ignore
  const t = makeGraphTransport({ url: w.graphUrl, tokens, mailbox: { kind: 'sender' }, timeoutMs: 3000 }); // prettier-ignore
  try {
    await t.send(request());
  } finally {
    await t.close();
  }
}

describe('Graph with app-only client credentials (certificate)', () => {
  it('signs the client assertion with the key; the sandbox checks it against the public key', async () => {
    const { publicKey, privateKey } = keyPair();
    world = await graphWorld({ certificatePublicKey: publicKey });
    const keyFile = path.join(world.dir, 'app.pem');
    await fsp.writeFile(keyFile, privateKey, { mode: 0o600 });
    await sendWith(world, keyFile, THUMB.toLowerCase());
    expect(world.sandbox.graph!.tokens.clientCredentials).toBe(1);
    expect(await world.delivered()).toHaveLength(1);
  });

  it('a key that does not match the registered certificate is refused', async () => {
    world = await graphWorld({ certificatePublicKey: keyPair().publicKey });
    const keyFile = path.join(world.dir, 'other.pem');
    await fsp.writeFile(keyFile, keyPair().privateKey, { mode: 0o600 });
    await expect(sendWith(world, keyFile, THUMB)).rejects.toMatchObject({ code: 'TokenUnavailable' }); // prettier-ignore
    expect(world.sandbox.graph!.tokens.refused).toBe(1);
  });

  it('without a certificate in the file a thumbprint is required, and only SHA-256 ones', async () => {
    world = await graphWorld();
    const keyFile = path.join(world.dir, 'key.pem');
    await fsp.writeFile(keyFile, keyPair().privateKey);
    await expect(readCertificate(keyFile)).rejects.toThrow(/no certificate/);
    await expect(readCertificate(keyFile, 'AB'.repeat(20))).rejects.toThrow(/SHA-256/);
  });

  it.skipIf(!hasOpenssl)(
    'takes the thumbprint from a certificate in the same PEM file (needs openssl)',
    async () => {
      world = await graphWorld();
      const dir = world.dir;
      const key = path.join(dir, 'k.pem');
      const cert = path.join(dir, 'c.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=imspooler-test'], { stdio: 'ignore' }); // prettier-ignore
      const both = path.join(dir, 'both.pem');
      await fsp.writeFile(
        both,
        (await fsp.readFile(cert, 'utf8')) + (await fsp.readFile(key, 'utf8')),
      );
      const expected = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256']).toString(); // prettier-ignore
      const c = await readCertificate(both);
      expect(c.thumbprintSha256).toBe(
        expected.split('=')[1]!.trim().replace(/:/g, '').toUpperCase(),
      );
      await sendWith(world, both);
      expect(await world.delivered()).toHaveLength(1);
    },
  );
});
