// The single-executable config (`node --experimental-sea-config`) of the self-contained programs.

/**
 * The SEA config for the bundle `main` in the build folder. `execArgv`: node's flags for every
 * start of the program (nodejs/node#59314; the 22.23.3 and 24.21.0 runtimes read them): the daemon's
 * `DAEMON_NODE_FLAGS` (src/platform/node-flags.ts), which only the command line can set and which
 * a user starting `imspooler.exe` would otherwise never pass.
 */
export function seaConfig({ main, output, execArgv }) {
  return {
    main,
    output,
    disableExperimentalSEAWarning: true,
    // Neither: both are tied to the exact V8 of the node that builds them and its CPU features.
    useSnapshot: false,
    useCodeCache: false,
    // Only the version is read from package.json at run time; the rest stays out of the program.
    assets: { 'package.json': 'package.json' },
    execArgv: [...execArgv],
  };
}
