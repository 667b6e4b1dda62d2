import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { makeIntake } from '../../src/daemon/intake.js';
import { makeMemoryEventLog } from '../../src/log/logger.js';
import { realFs } from '../../src/platform/fs-seam.js';
import { makeQueueStore, type QueueStore } from '../../src/queue/queue-store.js';
import { claimFile } from '../../src/spool/claim.js';
import { itemIdFor } from '../../src/item/item-id.js';
import { parseSpoolItem } from '../../src/item/parse-item.js';

/**
 * Bad input (issue 4, part 3): arbitrary, truncated and mutated bytes through the parser and the
 * whole intake path (claim → lstat → read → parse → admit). Never a crash; every file leaves the
 * spool folder and ends up either queued or quarantined with a reason.
 */

const MAX_BYTES = 64 * 1024;
const parse = (b: Buffer) => parseSpoolItem(b, { maxBytes: MAX_BYTES });

const validJson = JSON.stringify({
  from: 'alice@contoso.com',
  to: ['bob@contoso.com', 'sip:carol@fabrikam.com'],
  cc: [],
  subject: 'Lunch?',
  messages: [{ at: '2026-11-24T09:58:03Z', text: 'Are you free at 3?', html: '<b>free</b>' }],
});
const validMime = [
  'From: Alice <alice@contoso.com>',
  'To: bob@contoso.com',
  'Subject: =?UTF-8?Q?caf=C3=A9?=',
  'Date: Tue, 24 Nov 2026 09:58:03 +0000',
  'Message-ID: <x@contoso.com>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Are you free at 3?',
  '',
].join('\r\n');

const charsets = [
  'utf-8',
  'iso-8859-1',
  'windows-1252',
  'utf-16',
  'shift_jis',
  'x-unknown-42',
  '',
  '"',
];

/** Inputs that look almost right: the interesting ones for a parser. */
const nastyInput: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 512 }).map((s) => Buffer.from(s)),
  // Truncated valid items.
  fc.nat({ max: validJson.length }).map((n) => Buffer.from(validJson.slice(0, n))),
  fc.nat({ max: validMime.length }).map((n) => Buffer.from(validMime.slice(0, n))),
  // Mutated valid items: a few bytes replaced.
  fc
    .tuple(
      fc.constantFrom(validJson, validMime),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      }),
    )
    .map(([text, edits]) => {
      const b = Buffer.from(text);
      for (const [at, v] of edits) b[at % b.length] = v;
      return b;
    }),
  // JSON with arbitrary values where the fields go.
  fc
    .record(
      {
        from: fc.jsonValue(),
        to: fc.jsonValue(),
        cc: fc.jsonValue(),
        subject: fc.jsonValue(),
        messages: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((o) => Buffer.from(JSON.stringify(o))),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
  // MIME with huge or odd headers, odd charsets and names.
  fc
    .record({
      headerLen: fc.integer({ min: 0, max: 40_000 }),
      charset: fc.constantFrom(...charsets),
      name: fc.string({ maxLength: 40 }),
      subject: fc.string({ unit: 'binary', maxLength: 80 }),
      to: fc.constantFrom(
        'bob@contoso.com',
        '',
        '<>',
        '"\r\n"@x',
        'a@b',
        'undisclosed-recipients:;',
      ),
    })
    .map(({ headerLen, charset, name, subject, to }) =>
      Buffer.from(
        [
          `From: "${name}" <alice@contoso.com>`,
          `To: ${to}`,
          `Subject: ${subject}`,
          `X-Huge: ${'h'.repeat(headerLen)}`,
          `Content-Type: text/plain; charset=${charset}; name="${name}"`,
          '',
          'body',
        ].join('\r\n'),
      ),
    ),
);

describe('the parser on arbitrary bytes', () => {
  it('never throws; every result is an item or a failure with a PascalCase code and a message', async () => {
    await fc.assert(
      fc.asyncProperty(nastyInput, async (bytes) => {
        const r = await parse(bytes);
        if (r.ok) {
          expect(r.item.id).toBe(itemIdFor(bytes));
          expect(r.item.from).toMatch(/@/);
          expect(r.item.to.length + r.item.cc.length).toBeGreaterThan(0);
        } else {
          expect(r.code).toMatch(/^[A-Z][A-Za-z0-9]+$/);
          expect(r.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the whole intake path on arbitrary files', () => {
  let root: string;
  let spool: string;
  let store: QueueStore;
  const log = makeMemoryEventLog();
  let intake: ReturnType<typeof makeIntake>;

  beforeAll(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'imspooler-rel-intake-'));
    spool = join(root, 'spool');
    await fsp.mkdir(spool);
    store = makeQueueStore({ stateDir: join(root, 'state') });
    await store.open();
    intake = makeIntake({
      store,
      fs: realFs,
      log,
      clock: systemClock,
      maxBytes: MAX_BYTES,
      claim: (from, to) => claimFile(realFs, from, to, {}),
      parse,
      itemId: itemIdFor,
      onQueued: () => undefined,
    });
  });
  afterAll(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('takes every file out of the spool folder into the queue or the quarantine, with a reason', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(nastyInput, fc.string({ maxLength: 30 }), async (bytes, rawName) => {
        // Odd names: anything a file system takes (no separators, no NUL), kept unique.
        const name = `${n++}-${rawName.replace(/[/\\\0]/g, '_')}`.slice(0, 200);
        const path = join(spool, name);
        await fsp.writeFile(path, bytes);
        const before = log.lines.length;
        const at = Date.now();
        await intake.takeDue({
          path,
          folder: spool,
          kind: 'file',
          size: bytes.length,
          mtimeMs: at,
          firstSeenAt: at,
        });
        await expect(fsp.lstat(path)).rejects.toMatchObject({ code: 'ENOENT' });

        const lines = log.lines.slice(before) as {
          event?: { action?: string };
          error?: { code?: string };
        }[];
        expect(lines).toHaveLength(1);
        const action = lines[0]!.event?.action;
        const id = itemIdFor(bytes);
        const meta = await store.get(id);
        if (action === 'item.quarantined') {
          expect(lines[0]!.error?.code).toMatch(/^[A-Z][A-Za-z0-9]+$/);
          expect(meta?.state).toBe('quarantined');
          expect(meta?.quarantine?.code).toBe(lines[0]!.error?.code);
        } else {
          // Claimed: queued now, or the same content was already in the queue.
          expect(action).toBe('item.claimed');
          expect(meta).toBeDefined();
          expect(['incoming', 'quarantined']).toContain(meta!.state);
        }
        // The raw bytes are kept, unchanged, whatever the outcome.
        expect((await store.readContent(id)).equals(bytes)).toBe(true);
      }),
      { numRuns: 150 },
    );
    expect(await fsp.readdir(spool)).toEqual([]);
    expect(await fsp.readdir(store.layout.claimedDir)).toEqual([]);
  }, 60_000);
});
