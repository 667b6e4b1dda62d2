import { afterEach, describe, expect, it } from 'vitest';
import { jsonItem, waitUntil, type World } from '../e2e/harness.js';
import { startGraphDaemon, type GraphWorld } from './graph-world.js';

let world: World | undefined;
let graph: GraphWorld | undefined;
afterEach(async () => {
  await world?.close();
  await graph?.close();
  world = graph = undefined;
});

describe('the real daemon with delivery.transport "graph" (needs npm run build)', () => {
  it('delivers each group through Graph with its item class; a 429 pauses, then it goes through', async () => {
    const started = await startGraphDaemon({ serverBusy: { backOffMs: 1000, count: 1, on: ['CreateItem'] } }); // prettier-ignore
    ({ world, graph } = started);
    const { daemon, g } = started;
    await world.drop('im-1.json', jsonItem(1, ['bob@contoso.com', 'dave@fabrikam.com']));
    await waitUntil(() => daemon.actions('delivery.succeeded').length === 1, 'delivery.succeeded', 20_000); // prettier-ignore
    expect(daemon.actions('delivery.deferred').map((l) => l.error?.code)).toEqual(['Http429']);
    const mails = await graph.delivered();
    expect(
      mails.map((m) => [
        m.headers.get('x-imspooler-item-id')?.toString().split('/')[1],
        m.headers.get('x-item-class'),
      ]),
    ).toEqual([
      // prettier-ignore
      ['org', 'IPM.Note.Microsoft.Missed'],
      ['fed', 'IPM.Note'],
    ]);
    expect(g.requests.filter((r) => r.operation === 'sendMail').map((r) => r.status)).toEqual([429, 202, 202]); // prettier-ignore
    expect(daemon.lines.map((l) => JSON.stringify(l)).join('\n')).not.toContain('daemon-secret');
  });
});
