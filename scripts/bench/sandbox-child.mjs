// The EWS sandbox in its own process, so the daemon (or the plain client) and the server do not
// share a CPU budget unfairly. Started with fork(); talks to the bench over IPC.
//   argv: <build root> <mailboxDir> <username> <password>
//   -> { type: 'ready', url, port }
//   <- { type: 'createItemSample' } -> { type: 'createItemSample', body }
//   <- { type: 'faults', faults } -> { type: 'faults' }   (switches sandbox faults on)
//   <- { type: 'stats' } -> { type: 'stats', stats, cpu }
//   <- { type: 'close' } -> exits
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, mailboxDir, username, password] = process.argv.slice(2);
const { startSandbox } = await import(
  pathToFileURL(join(root, 'dist', 'sandbox', 'sandbox-server.js')).href
);
// No per-request log line: the bench measures the daemon, not the sandbox's console.
const handle = await startSandbox({
  port: 0,
  mailboxDir,
  auth: { username, password },
  maxRecorded: 4,
});
process.send({ type: 'ready', url: handle.url, port: handle.port });

process.on('message', async (msg) => {
  switch (msg.type) {
    case 'createItemSample': {
      const r = [...handle.requests].reverse().find((q) => q.operation === 'CreateItem');
      process.send({ type: 'createItemSample', body: r?.body });
      return;
    }
    case 'faults':
      handle.faults.set(msg.faults);
      process.send({ type: 'faults' });
      return;
    case 'stats':
      process.send({ type: 'stats', stats: { ...handle.stats }, cpu: process.cpuUsage() });
      return;
    case 'close':
      await handle.close();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
