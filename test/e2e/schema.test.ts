import { afterEach, describe, expect, it } from 'vitest';
import { schemaSkipReason, validateEwsRequest } from '../support/ews-schema.js';
import { jsonItem, makeWorld, mimeItem, type World } from './harness.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const title = 'every request the running daemon sends validates against messages.xsd';
if (schemaSkipReason) console.warn(`e2e schema test skipped: ${schemaSkipReason}`);

describe.skipIf(schemaSkipReason !== undefined)(
  schemaSkipReason ? `${title}: skipped, ${schemaSkipReason}` : title,
  () => {
    it('CreateItem for both groups and FindItem after an unclear outcome, with hostile text', async () => {
      world = await makeWorld({}, { dropAfterAccept: { count: 1 } });
      const daemon = world.start();
      await daemon.waitForLine((l) => l.event?.action === 'daemon.started', 'daemon.started');
      await world.drop(
        'hostile.json',
        jsonItem(1, ['bob@contoso.com', "o'neil@fabrikam.com"], {
          subject: `Q&A <script>"x"</script> 'y' café 😀 \u0007`,
          messages: [
            { text: 'a & b < c', html: '<p>a &amp; b</p><img src="x" onerror="alert(1)">' },
          ],
        }),
      );
      await world.drop('mime.eml', mimeItem(2, 'carol@contoso.com'));
      await daemon.waitForLine(
        (l) =>
          l.event?.action === 'delivery.succeeded' && l.file?.path?.endsWith('mime.eml') === true,
        'mime delivered',
      );
      await daemon.waitForLine(
        (l) =>
          l.event?.action === 'delivery.succeeded' &&
          l.file?.path?.endsWith('hostile.json') === true,
        'hostile delivered',
        20_000,
      );
      const ops = world.sandbox.requests.map((r) => r.operation);
      expect(ops).toContain('CreateItem');
      expect(ops).toContain('FindItem');
      for (const [i, r] of world.sandbox.requests.entries())
        await validateEwsRequest(r.body, `${i}-${r.operation}`);
    }, 40_000);
  },
);
