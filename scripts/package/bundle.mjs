// One CommonJS file from dist/cli/entry.js, what a Node.js single-executable application runs: a SEA's
// `require` loads built-in modules only, so every dependency must be inside the bundle.
import { build } from 'esbuild';

// Optional dependencies that are looked for at run time and not needed: http-cookie-agent's
// synchronous mode (`deasync`, a native add-on) and @elastic/ecs-winston-format's APM link
// (`elastic-apm-node`, required inside a try). Both resolve to a module that throws, as when they
// are not installed; left as plain requires they would fail the bundle or warn at every start.
const ABSENT = /^(deasync|elastic-apm-node)$/;

const absentModules = {
  name: 'absent-optional-modules',
  setup(b) {
    b.onResolve({ filter: ABSENT }, (args) => ({ path: args.path, namespace: 'absent' }));
    b.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
      contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}), { code: 'MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};

/**
 * Bundles `entry` into `outfile` (CommonJS, for the Node.js version `nodeTarget`, e.g. "node24").
 * Returns esbuild's warnings as text lines, so the caller can show them.
 */
export async function bundle({ entry, outfile, nodeTarget }) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: nodeTarget,
    plugins: [absentModules],
    // The program asks `node:sea` whether it is packaged before it would read import.meta.url;
    // in the bundle that is empty, and esbuild says so for each use.
    logOverride: { 'empty-import-meta': 'silent' },
    logLevel: 'silent',
    legalComments: 'none',
  });
  return result.warnings.map((w) => `${w.location?.file ?? ''}: ${w.text}`);
}
