import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../support/manual-clock.js';
import {
  AUTODISCOVER_CACHE_FILE,
  makeAutodiscoverCache,
} from '../../src/delivery/autodiscover-cache.js';

/** The cache file is advisory: a damaged one counts as empty and is rewritten (issue 12, item 8). */
let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'imspooler-adcache-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const NOW = Date.parse('2026-12-02T04:00:00Z');
const clock = manualClock(NOW);
const entry = { domain: 'contoso.com', address: 'a@contoso.com', ewsUrl: 'https://mail.contoso.com/EWS/Exchange.asmx', resolvedAt: new Date(NOW).toISOString() }; // prettier-ignore

describe('autodiscover cache file', () => {
  it('an entry of the wrong shape (no URL) is not handed out; the next answer replaces the file', async () => {
    const file = join(dir, AUTODISCOVER_CACHE_FILE);
    const { ewsUrl: _, ...noUrl } = entry;
    await writeFile(file, JSON.stringify({ version: 1, entries: { 'contoso.com': noUrl } }));
    const cache = makeAutodiscoverCache({ stateDir: dir, clock });
    expect(await cache.get('contoso.com')).toBeUndefined();
    expect(await cache.latest()).toBeUndefined();
    await cache.put({ domain: entry.domain, address: entry.address, ewsUrl: entry.ewsUrl });
    expect(await cache.get('contoso.com')).toEqual(entry);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, entries: { 'contoso.com': entry } }); // prettier-ignore
  });

  it('a file that fits is read as written', async () => {
    await writeFile(join(dir, AUTODISCOVER_CACHE_FILE), JSON.stringify({ version: 1, entries: { 'contoso.com': entry } })); // prettier-ignore
    expect(await makeAutodiscoverCache({ stateDir: dir, clock }).get('contoso.com')).toEqual(entry);
  });
});
