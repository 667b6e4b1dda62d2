import { main } from './main.js';

// The one file of the CLI that touches the process: `bin/imspooler.js` and the self-contained
// program's bundle start here, and tests call `main` with their own arguments, environment and
// writers instead. No top-level await: the self-contained program's bundle is CommonJS.
void main(process.argv.slice(2), process.env, {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  cwd: process.cwd(),
}).then((code) => {
  process.exitCode = code;
  if (process.argv[2] === 'run' || code !== 0) {
    // Lingering handles (a half-open socket, a watcher) must not keep a stopped daemon alive.
    setTimeout(() => process.exit(code), 200).unref();
  }
});
