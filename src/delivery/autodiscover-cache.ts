import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { realFs, type FsLike } from '../platform/fs-seam.js';
import { object, oneOf, parseJson, recordOf, str } from '../platform/json-shape.js';
import { writeFileAtomic } from '../queue/atomic-write.js';

/** One remembered answer. */
export interface AutodiscoverCacheEntry {
  /** Lower-case domain of the address that was looked up. */
  domain: string;
  /** The address Autodiscover was asked about (the answer is shared by its domain). */
  address: string;
  ewsUrl: string;
  /** ISO time of the lookup. */
  resolvedAt: string;
}

/** Autodiscover answers per domain, in `<stateDir>/autodiscover.json`. */
export interface AutodiscoverCache {
  /** The entry for a domain while younger than the TTL (or at any age with `allowStale`). */
  get(domain: string, o?: { allowStale?: boolean }): Promise<AutodiscoverCacheEntry | undefined>;
  /** The most recent fresh entry of any domain (for calls that carry no sender). */
  latest(): Promise<AutodiscoverCacheEntry | undefined>;
  put(entry: Omit<AutodiscoverCacheEntry, 'resolvedAt'>): Promise<void>;
  /** Forget a domain (its URL stopped working). */
  invalidate(domain: string): Promise<void>;
}

/** Options of {@link makeAutodiscoverCache}. */
export interface AutodiscoverCacheOptions {
  stateDir: string;
  /** How long an answer is trusted (default 24 h, as Outlook does). */
  ttlMs?: number;
  fs?: FsLike;
  clock?: Clock;
}

export const AUTODISCOVER_CACHE_FILE = 'autodiscover.json';
export const DEFAULT_AUTODISCOVER_TTL = 24 * 3600_000;

interface CacheFile {
  version: 1;
  entries: Record<string, AutodiscoverCacheEntry>;
}
const cacheFileShape = object<CacheFile>({
  version: oneOf(1),
  entries: recordOf(object<AutodiscoverCacheEntry>({ domain: str, address: str, ewsUrl: str, resolvedAt: str })), // prettier-ignore
});

/**
 * The cache is advisory: an unreadable or corrupt file counts as empty (the next lookup rewrites
 * it), and it is replaced atomically so a crash never leaves half a file.
 */
export function makeAutodiscoverCache(opts: AutodiscoverCacheOptions): AutodiscoverCache {
  const fs = opts.fs ?? realFs;
  const clock = opts.clock ?? systemClock;
  const ttl = opts.ttlMs ?? DEFAULT_AUTODISCOVER_TTL;
  const file = join(opts.stateDir, AUTODISCOVER_CACHE_FILE);

  async function read(): Promise<CacheFile> {
    try {
      const parsed = parseJson(String(await fs.readFile(file, 'utf8')), file, cacheFileShape);
      if (parsed.ok) return { version: 1, entries: parsed.value.entries };
    } catch {
      // missing: start afresh (as when it is corrupt)
    }
    return { version: 1, entries: {} };
  }
  async function write(data: CacheFile): Promise<void> {
    await fs.mkdir(opts.stateDir, { recursive: true });
    await writeFileAtomic(fs, file, `${JSON.stringify(data, null, 2)}\n`);
  }
  const fresh = (e: AutodiscoverCacheEntry | undefined): e is AutodiscoverCacheEntry => {
    const at = e ? Date.parse(e.resolvedAt) : NaN;
    return Number.isFinite(at) && clock.now() - at < ttl && clock.now() >= at;
  };

  return {
    async get(domain, o) {
      const e = (await read()).entries[domain.toLowerCase()];
      return fresh(e) || (o?.allowStale && e) ? e : undefined;
    },
    async latest() {
      const all = Object.values((await read()).entries).filter(fresh);
      return all.sort((a, b) => b.resolvedAt.localeCompare(a.resolvedAt))[0];
    },
    async put(entry) {
      const data = await read();
      const domain = entry.domain.toLowerCase();
      data.entries[domain] = { ...entry, domain, resolvedAt: new Date(clock.now()).toISOString() };
      await write(data);
    },
    async invalidate(domain) {
      const data = await read();
      if (!(domain.toLowerCase() in data.entries)) return;
      delete data.entries[domain.toLowerCase()];
      await write(data);
    },
  };
}
