/**
 * The Node.js flags imspooler's daemon runs with wherever imspooler decides how it is started: the
 * self-contained programs carry them in their single-executable config (`execArgv`,
 * nodejs/node#59314; the 22.23.3 and 24.21.0 runtimes honour it: test/package/sea-config.test.ts
 * and the smoke tests check), the service definitions of a script install put them before
 * `bin/imspooler.js`, and `npm start` names them (package.json). A hand-typed
 * `node bin/imspooler.js run` runs without them: the CLI never re-spawns itself to add a flag.
 *
 * `--max-semi-space-size=8` (MB) caps V8's young generation. Under the allocation rate of delivery
 * V8 otherwise grows it to 64–128 MB, the largest part of the daemon's peak memory; with 8 MB the
 * peak is 30–100 MB lower on Node.js 22 and 24 at no CPU cost beyond the noise (16 MB does nothing
 * on 22; docs/performance.md, "the young-generation cap"). Only the command line sets it:
 * `v8.setFlagsFromString` at start has no effect.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
