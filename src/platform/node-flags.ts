/**
 * The Node.js flags imspooler's daemon runs with wherever imspooler itself decides how it is
 * started: the self-contained programs carry them in their single-executable config (`execArgv`,
 * honoured by Node.js 22.20+ and 24.6+), and the service definitions of a script install put them
 * before `bin/imspooler.js`. `npm start` and a hand-typed `node bin/imspooler.js run` run without
 * them: the CLI never re-spawns itself to add a flag.
 *
 * `--max-semi-space-size=8` (MB) caps V8's young generation. Under the allocation rate of delivery
 * V8 otherwise grows it to 64–128 MB, the largest part of the daemon's peak memory; a cap of 8 MB
 * keeps the peak ~60–100 MB lower for no measurable CPU per item (docs/performance.md, "the young
 * generation cap"). Only the command line sets it: `v8.setFlagsFromString` at start has no effect.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
