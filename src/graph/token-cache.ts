/**
 * MSAL's token cache kept in a file readable by the user only, encrypted with AES-256-GCM under
 * a random key that lives in a separate 0600 file in the user's state folder. The key file is the
 * seam: on Windows, DPAPI (`CryptProtectData`, bound to the user's logon) would be the better home
 * for the key, and a `KeyStore` doing that can be passed in instead.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';

/** Where the 32-byte key comes from. */
export interface KeyStore {
  /** The key, created on first use. */
  key(): Promise<Buffer>;
}

const MAGIC = 'imspooler-token-cache-v1';

/** A key in a file of its own, mode 0600 (created so; never widened). */
export function fileKeyStore(keyFile: string): KeyStore {
  let cached: Buffer | undefined;
  return {
    async key() {
      if (cached) return cached;
      try {
        const k = await fsp.readFile(keyFile);
        if (k.length === 32) return (cached = k);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      const k = randomBytes(32);
      await fsp.mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
      await writePrivate(keyFile, k);
      return (cached = k);
    },
  };
}

/** Writes a file as the user only may read it: a 0600 temp file renamed into place. */
async function writePrivate(file: string, data: Buffer | string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fsp.writeFile(tmp, data, { mode: 0o600, flag: 'wx' });
  await fsp.chmod(tmp, 0o600);
  await fsp.rename(tmp, file);
}

/** Encrypts a cache snapshot: `MAGIC.iv.tag.ciphertext`, base64url parts. */
export function seal(plain: string, key: Buffer): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(MAGIC));
  const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return [MAGIC, iv, c.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.'); // prettier-ignore
}

/** Decrypts what `seal` wrote; throws when the file was altered or the key is another. */
export function unseal(text: string, key: Buffer): string {
  const [magic, iv, tag, data] = text.trim().split('.');
  if (magic !== MAGIC || !iv || !tag || data === undefined)
    throw new Error('not a token cache file');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  d.setAAD(Buffer.from(MAGIC));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(data, 'base64url')), d.final()]).toString('utf8');
}

/**
 * An MSAL cache plugin over an encrypted file. A cache that cannot be decrypted (other key,
 * damaged file) is treated as empty: the user signs in again, and the next write replaces it.
 */
export function encryptedCachePlugin(
  cacheFile: string,
  keys: KeyStore,
  onUnreadable: (why: string) => void = () => undefined,
): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      let text: string;
      try {
        text = await fsp.readFile(cacheFile, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      try {
        ctx.tokenCache.deserialize(unseal(text, await keys.key()));
      } catch (e) {
        onUnreadable(e instanceof Error ? e.message : String(e));
      }
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (!ctx.cacheHasChanged) return;
      await fsp.mkdir(dirname(cacheFile), { recursive: true, mode: 0o700 });
      await writePrivate(cacheFile, seal(ctx.tokenCache.serialize(), await keys.key()));
    },
  };
}
