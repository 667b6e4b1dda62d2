#!/usr/bin/env bash
# `npm run test:windows [-- <vitest args>]`: the test suite run by the official Windows node.exe
# under Wine, then a report of what failed. Optional, not in CI: it takes 10-20 minutes, and some
# tests fail there for Wine's reasons, not the product's (listed at the end; see
# ../shared/WINDOWS.md, "Test suite under Wine"). Needs wine (and wine64); builds a stand-in
# bcryptprimitives.dll with gcc-mingw-w64-x86-64-win32, installed with apt-get when missing and
# root. Everything it fetches or builds stays under node_modules/.cache/imspooler-wine.
#
# Run it on a quiet machine, or on some folders (`npm run test:windows -- test/config`): the
# integration tests start the daemon from the source tree, whose modules node.exe reads from Z:\
# through Wine, and with the machine loaded (load 11 on 2 cores) that took 53 s, past the tests'
# 20 s wait for daemon.started (the packaged program, one bundle, starts in about 2 s).
#
# The Wine workarounds live here, never in the product: the bcryptprimitives.dll stand-in (for
# vitest's Rust add-ons), the keep-alive preload (for fetch), and stdout to files, not pipes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
node=$root/node_modules/.bin/node
cache=$root/node_modules/.cache/imspooler-wine
mkdir -p "$cache"
export WINEPREFIX=$cache/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
say() { printf 'test:windows: %s\n' "$*"; }

command -v wine >/dev/null 2>&1 || { say "needs wine (apt-get install wine wine64)"; exit 2; }
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { say "needs gcc-mingw-w64-x86-64-win32"; exit 2; }
  say "installing gcc-mingw-w64-x86-64-win32"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64-win32 >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64-win32 >/dev/null; }
fi

# The runtime the packages carry (Node.js 24's node.exe does not start under Wine 8).
version=$("$node" -e 'import("./scripts/package/runtime.mjs").then((m) => console.log(m.PACKAGE_NODE_VERSION))')
node_exe=$("$node" -e 'import("./scripts/package/runtime.mjs").then((m) => console.log(m.runtime("win-x64", process.argv[1], process.argv[2])))' \
  "$version" "$root/node_modules/.cache/imspooler-package/runtimes")

if [ ! -f "$WINEPREFIX/.imspooler-ready" ]; then
  say "preparing a Wine prefix (Windows 10)"
  { wineboot --init && winecfg -v win10 && wineserver -w; } >"$cache/wineboot.log" 2>&1
  touch "$WINEPREFIX/.imspooler-ready"
fi
system32=$WINEPREFIX/drive_c/windows/system32
if [ ! -f "$system32/bcryptprimitives.dll" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$system32/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c -ladvapi32
fi

# The Windows builds of the add-ons vitest loads (npm installed the Linux ones), found via NODE_PATH.
modules=$cache/modules
for spec in rolldown:@rolldown/binding-win32-x64-msvc lightningcss:lightningcss-win32-x64-msvc; do
  parent=${spec%%:*}
  name=${spec#*:}
  [ -f "node_modules/$parent/package.json" ] || continue
  v=$("$node" -p "require('./node_modules/$parent/package.json').version")
  if [ ! -f "$modules/$name/package.json" ] || [ "$("$node" -p "require('$modules/$name/package.json').version")" != "$v" ]; then
    unpacked=$("$node" -e 'import("./scripts/package/runtime.mjs").then((m) => console.log(m.registryPackage(process.argv[1], process.argv[2], process.argv[3])))' \
      "$name" "$v" "$cache/packs")
    rm -rf "${modules:?}/$name"
    mkdir -p "$(dirname "$modules/$name")"
    cp -r "$unpacked" "$modules/$name"
  fi
done

"$node" node_modules/typescript/bin/tsc -p tsconfig.build.json
results=$cache/results.json
out=$cache/vitest-output.txt
rm -f "$results"
say "running the suite with node.exe $version under $(wine --version) (output: $out)"
start=$SECONDS
code=0
# A Windows node.exe must not write into a Unix pipe under Wine 8: output goes to a file.
NODE_PATH=$(winepath -w "$modules") \
  NODE_OPTIONS="--require $(winepath -w "$root/scripts/wine/keepalive-shim.cjs")" \
  wine "$node_exe" node_modules/vitest/vitest.mjs run --reporter=default --reporter=json \
  --outputFile.json="$(winepath -w "$results")" "$@" >"$out" 2>&1 || code=$?
say "finished in $((SECONDS - start)) s, exit code $code"

[ -f "$results" ] || { tail -n 40 "$out"; say "no results: the suite did not run"; exit 1; }
"$node" - "$results" <<'EOF'
const r = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const say = (s) => console.log(`test:windows: ${s}`);
say(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped, of ${r.numTotalTests}`);
const failed = [];
for (const file of r.testResults) {
  const rel = file.name.replace(/\\/g, '/').replace(/^.*?\/test\//, 'test/');
  if (file.status === 'failed' && file.assertionResults.length === 0) {
    failed.push(`${rel}: ${(file.message || 'failed to load').split('\n')[0]}`);
  }
  for (const a of file.assertionResults) {
    if (a.status !== 'failed') continue;
    const why = (a.failureMessages[0] || '').split('\n')[0].slice(0, 160);
    failed.push(`${rel} > ${a.fullName}\n      ${why}`);
  }
}
if (failed.length > 0) {
  say('failed under Wine (POSIX assumptions in tests or Wine 8 gaps are expected here, see ../shared/WINDOWS.md):');
  for (const f of failed) console.log(`  - ${f}`);
}
EOF
exit $code
