#!/usr/bin/env bash
# The self-contained Linux program with no Node.js anywhere on PATH: --version, check-config, and
# the daemon delivering a sample into the sandbox (running with node's flags from its SEA config),
# then a clean stop. Uses release/imspooler-<version>-linux-x64 (builds it with
# `npm run package -- --no-msi` if missing).
# Each step prints its time; a failed step prints its log and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SMOKE_NAME=linux-program-smoke
# shellcheck source=lib/steps.sh
. "$root/scripts/lib/steps.sh"
work=$(mktemp -d /tmp/imspooler-linuxsmoke.XXXXXX)
daemon=
cleanup() {
  if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then kill -TERM "$daemon" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  printf 'linux-program-smoke: FAILED at "%s": %s\n' "$current" "$*" >&2
  for f in "$work"/*.txt "$work"/state/log/*.log; do
    [ -s "$f" ] && { printf -- '----- %s\n' "$f" >&2; tail -n 30 "$f" | cut -c 1-400 >&2; }
  done
  exit 1
}

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
exe=$root/release/imspooler-$version-linux-x64
if [ ! -x "$exe" ]; then
  step "npm run package -- --no-msi"
  npm run -s package -- --no-msi >"$work/package.txt" 2>&1 || fail "npm run package"
  ok
fi

# An empty PATH but for the folder the program is copied to: no node, no npm, no shell tools.
bin=$work/bin
mkdir -p "$bin" "$work/spool"
cp "$exe" "$bin/imspooler"
run() { env -i HOME="$work" PATH="$bin" imspooler "$@"; }
cat >"$work/imspooler.json" <<'EOF'
{
  "spool": { "paths": ["./spool"], "grace": "500ms", "rescan": "2s" },
  "stateDir": "./state",
  "delivery": { "transport": "sandbox" },
  "organization": { "domains": ["contoso.com"] }
}
EOF

step "no Node.js on PATH"
if env -i PATH="$bin" sh -c 'command -v node' >/dev/null 2>&1; then fail "node is on PATH"; fi
ok

step "imspooler --version"
[ "$(run --version)" = "$version" ] || fail "--version is not $version"
ok

step "check-config"
run check-config --config "$work/imspooler.json" >"$work/check.txt" 2>&1 || fail "check-config"
ok

step "daemon delivers a sample into the sandbox"
# Job control on: a background job of a script otherwise starts with SIGINT ignored. Started
# directly, not through a function, so that $! is the daemon's own pid.
set -m
env -i HOME="$work" PATH="$bin" imspooler run --config "$work/imspooler.json" >"$work/run.txt" 2>&1 &
daemon=$!
set +m
printf '{"from":"alice@contoso.com","to":["bob@contoso.com"],"messages":[{"at":"2026-11-24T09:58:03Z","text":"Hi"}]}' \
  >"$work/spool/sample.json"
stopped() { ! kill -0 "$daemon" 2>/dev/null; }
delivered() { [ -n "$(find "$work/state/sandbox-mailbox" -name '*.eml' 2>/dev/null)" ]; }
wait_for 60 delivered || fail "no .eml in the sandbox mailbox"
ok

step "the program runs with the young-generation cap (its SEA execArgv)"
grep '"daemon.started"' "$work/run.txt" | grep -qF '"flags":["--max-semi-space-size=8"]' ||
  fail "the daemon.started line does not show node's flag --max-semi-space-size=8"
ok

step "clean stop (SIGINT)"
kill -INT "$daemon"
code=0
wait_for 30 stopped || fail "still running 30 s after SIGINT"
wait "$daemon" || code=$?
daemon=
[ $code = 0 ] || fail "exit code $code"
grep -q '"daemon.stopped"' "$work/run.txt" || fail "no daemon.stopped"
ok

passed
