#!/usr/bin/env bash
# Windows smoke test of the packaged program, under Wine (docs/deploy-windows.md, "Tested how").
# Builds the packages, installs the MSI silently in a fresh Wine prefix with a CONFIG, then drives
# the installed program as a user's PC would: --version, check-config, service print, the daemon
# finding an "auto" spool folder under %LOCALAPPDATA%, delivering into the sandbox and quarantining
# a bad file, status --json, a clean stop (Ctrl-C), a hard stop (TerminateProcess) and a restart
# that delivers again, then an upgrade that keeps the config and the queue, and an uninstall that
# removes the program and keeps the queue. Each step prints its time; a failed step prints its
# log and fails the script. Wine's own bugs are worked around here, never in the product:
# Windows programs write to files (a Unix pipe as stdout kills node.exe under Wine 8), and
# background jobs start with `set -m` so that SIGINT reaches them.
#
# Usage: scripts/windows-smoke.sh [--no-build]   (--no-build: use release/ as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=1
[ "${1:-}" = "--no-build" ] && build=0

SMOKE_NAME=windows-smoke
# shellcheck source=lib/steps.sh
. "$root/scripts/lib/steps.sh"
work=$(mktemp -d /tmp/imspooler-winsmoke.XXXXXX)
logs=$work/logs
mkdir -p "$logs"
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
daemon=

cleanup() {
  for job in ${wineboot_job:-} ${next_build:-}; do kill "$job" 2>/dev/null || true; done
  if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then kill -TERM "$daemon" 2>/dev/null || true; fi
  wineserver -k 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "windows-smoke: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() {
  printf 'windows-smoke: FAILED at "%s": %s\n' "$current" "$*" >&2
  for f in "$logs"/*; do
    [ -s "$f" ] || continue
    printf -- '----- %s\n' "$(basename "$f")" >&2
    tail -n 40 "$f" | tr -d '\000\r' >&2
  done
  local log
  log=$(current_log 2>/dev/null) || true
  if [ -n "$log" ] && [ -f "$log" ]; then
    printf -- '----- daemon log %s\n' "$log" >&2
    tail -n 40 "$log" | cut -c 1-400 >&2
  fi
  exit 1
}

step "tools (wine, wixl, msitools)"
need=()
command -v wine >/dev/null 2>&1 || need+=(wine wine64)
command -v wixl >/dev/null 2>&1 || need+=(wixl)
command -v msiinfo >/dev/null 2>&1 || need+=(msitools)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "missing ${need[*]} and not root to install them"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$logs/apt.log" 2>&1 ||
    fail "apt-get install ${need[*]}"
fi
wine --version
ok

# A fresh prefix, made while the packages build.
{ wineboot --init && winecfg -v win10 && wineserver -w; } >"$logs/wineboot.log" 2>&1 &
wineboot_job=$!

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
msi=$root/release/imspooler-$version-x64.msi
if [ $build = 1 ]; then
  step "npm run package"
  npm run -s package >"$logs/package.log" 2>&1 || fail "npm run package"
  grep '^package: .*: [0-9.]* s$' "$logs/package.log" | sed 's/^/  /'
  ok
fi
[ -f "$msi" ] || fail "no $msi"

step "fresh Wine prefix (Windows 10)"
wait "$wineboot_job" || fail "wineboot"
ok

# The next version's MSI, for the upgrade step, built meanwhile (wixl's compression takes a while).
next=$(echo "$version" | awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }')
mkdir -p "$work/next"
"$root/node_modules/.bin/node" -e '
  import(process.argv[1]).then((m) => m.buildMsi({ exe: process.argv[2], version: process.argv[3], out: process.argv[4], work: process.argv[5] }));
' "$root/scripts/package/msi.mjs" "$root/release/imspooler-$version-win-x64.exe" "$next" "$work/next.msi" "$work/next" \
  >"$logs/next-msi.log" 2>&1 &
next_build=$!

# Windows paths of the prefix. Run Windows programs with stdout and stderr in files.
win() { wine "$@" >"$logs/out.txt" 2>"$logs/err.txt"; }
out() { tr -d '\r' <"$logs/out.txt"; }
win cmd /c echo %LOCALAPPDATA% || fail "wine cmd"
local_win=$(out)
local_unix=$(winepath -u "$local_win" 2>/dev/null)
drive_c=$WINEPREFIX/drive_c
smoke_dir=$drive_c/imspooler-smoke
config_win='C:\imspooler-smoke\imspooler.json'
spool="$local_unix/Microsoft/Office/16.0/Lync/sip_alice@contoso.com/History Spooler"
state=$local_unix/imspooler
# The daemon's log: log.file, or else the newest dated file the rotating transport writes beside it.
current_log() {
  local state=${state:-/nonexistent}
  if [ -f "$state/log/imspooler.log" ]; then
    echo "$state/log/imspooler.log"
  else
    ls -t "$state"/log/imspooler*.log 2>/dev/null | head -n 1 || true
  fi
}
mailbox=$state/sandbox-mailbox
exe_win='C:\Program Files\imspooler\imspooler.exe'
exe="$drive_c/Program Files/imspooler/imspooler.exe"

mkdir -p "$smoke_dir" "$spool"
# No stateDir: the per-user default, %LOCALAPPDATA%\imspooler. A short grace keeps it quick.
cat >"$smoke_dir/imspooler.json" <<'EOF'
{
  "spool": { "paths": ["auto"], "grace": "1s", "rescan": "2s" },
  "delivery": { "transport": "sandbox", "concurrency": 2 },
  "organization": { "domains": ["contoso.com"] }
}
EOF

step "msiexec /i (silent, CONFIG=$config_win)"
win msiexec /i "$(winepath -w "$msi")" /qn "CONFIG=$config_win" || fail "msiexec /i exited $?"
[ -f "$exe" ] || fail "no $exe after the install"
win cmd /c 'echo %IMSPOOLER_CONFIG%'
[ "$(out)" = "$config_win" ] || fail "IMSPOOLER_CONFIG is '$(out)', not $config_win"
win cmd /c imspooler --version || fail "imspooler is not on PATH"
ok

step "imspooler --version"
win "$exe" --version || fail "--version exited $?"
[ "$(out)" = "$version" ] || fail "--version printed '$(out)', not $version"
ok

step "check-config (the config the MSI named)"
win "$exe" check-config || fail "check-config exited $?"
grep -q 'imspooler-smoke' "$logs/out.txt" || fail "check-config did not name $config_win"
ok

step "service print --platform windows"
win "$exe" service print --platform windows || fail "service print exited $?"
grep -qF "<Command>\"$exe_win\"</Command>" "$logs/out.txt" || fail "the task's command is not the program"
grep -qF "<Arguments>run --config \"$config_win\"</Arguments>" "$logs/out.txt" ||
  fail "the task's arguments are not 'run --config <CONFIG>'"
if grep -qE '\.m?js\b' "$logs/out.txt"; then fail "the task names a .js script"; fi
# The task the MSI registered (Wine's schtasks keeps nothing, so it is checked as rendered).
win "$exe" service print --platform windows --all-users || fail "service print --all-users exited $?"
grep -qF '<GroupId>S-1-5-32-545</GroupId>' "$logs/out.txt" || fail "the all-users task is not for Users"
grep -qF "<Command>\"$exe_win\"</Command>" "$logs/out.txt" || fail "the all-users task's command"
ok

sample() { # $1: name, $2: text
  printf '{"from":"alice@contoso.com","to":["bob@contoso.com"],"messages":[{"at":"2026-11-24T09:58:03Z","text":"%s"}]}' "$2" \
    >"$spool/$1.tmp"
  mv "$spool/$1.tmp" "$spool/$1.json"
}
emls() { find "$mailbox" -name '*.eml' 2>/dev/null | wc -l; }
count() { # lines of the daemon log with this event.action
  local n
  n=$(grep -c "\"$1\"" "$(current_log)" 2>/dev/null) || true
  echo "${n:-0}"
}
logged() { [ "$(count "$1")" -ge "$2" ]; } # $1: event.action, $2: at least this many lines
delivered() { [ "$(emls)" -ge "$1" ]; }    # at least $1 .eml files in the sandbox mailbox
start_daemon() { # $1: how many daemon.started lines to expect afterwards
  set -m
  wine "$exe" run >"$logs/run.out" 2>"$logs/run.err" &
  daemon=$!
  set +m
  wait_for 60 logged daemon.started "$1" || fail "no daemon.started"
}

step "daemon: auto-discovery under %LOCALAPPDATA%, a delivery and a quarantine"
start_daemon 1
sample first "Are you free at 3?"
printf 'this is not a spool item' >"$spool/broken.json"
wait_for 60 delivered 1 || fail "no .eml in the sandbox mailbox"
wait_for 60 logged item.quarantined 1 || fail "the bad file was not quarantined"
# The file was found through "auto", in the folder under %LOCALAPPDATA%.
grep -q '"spool.detected".*sip_alice@contoso.com' "$(current_log)" ||
  fail "no spool.detected line names the auto-found folder"
ok

step "the program runs with the young-generation cap (its SEA execArgv)"
grep '"daemon.started"' "$(current_log)" | grep -qF '"flags":["--max-semi-space-size=8"]' ||
  fail "the daemon.started line does not show node's flag --max-semi-space-size=8"
ok

step "status --json"
# $1: a JavaScript condition on `s`, the parsed status --json (needs `win ... status --json` first).
status_is() {
  "$root/node_modules/.bin/node" -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (!(eval(process.argv[2]))) { console.error(JSON.stringify(s.counts), s.daemon); process.exit(1); }
  ' "$logs/out.txt" "$1" 2>"$logs/check.txt"
}
win "$exe" status --json || fail "status exited $?"
status_is 's.daemon.running === true' || fail "status --json: the daemon is not running"
status_is 's.counts.quarantined === 1 && s.counts.queued + s.counts.active + s.counts.deferred === 0' ||
  fail "status --json: not one quarantined item and an empty queue"
ok

step "clean stop (Ctrl-C)"
kill -INT "$daemon"
code=0
wait "$daemon" || code=$?
daemon=
[ $code = 0 ] || fail "exit code $code after Ctrl-C, not 0"
[ "$(count daemon.stopped)" -ge 1 ] || fail "no daemon.stopped"
ok

step "hard stop (TerminateProcess) and a restart that delivers"
start_daemon 2
stopped=$(count daemon.stopped)
kill -TERM "$daemon"
code=0
wait "$daemon" || code=$?
daemon=
[ $code != 0 ] || fail "a hard stop exited 0"
[ "$(count daemon.stopped)" = "$stopped" ] || fail "a hard stop ran the stop handler"
wineserver -w
start_daemon 3
sample second "Still there?"
wait_for 60 delivered 2 || fail "no delivery after the restart"
kill -INT "$daemon"
wait "$daemon" || fail "exit code $? after Ctrl-C"
daemon=
ok

step "upgrade (a newer MSI, no CONFIG given): config, queue and history kept"
wait "$next_build" || fail "building the $next MSI"
win msiexec /i "$(winepath -w "$work/next.msi")" /qn || fail "msiexec /i (upgrade) exited $?"
win cmd /c 'echo %IMSPOOLER_CONFIG%'
[ "$(out)" = "$config_win" ] || fail "after the upgrade IMSPOOLER_CONFIG is '$(out)'"
win "$exe" status --json || fail "status after the upgrade exited $?"
status_is 's.counts.quarantined === 1 && !s.daemon.running' || fail "the queue changed in the upgrade"
win "$exe" history --json || fail "history after the upgrade exited $?"
status_is 's.items.filter((i) => i.state === "delivered").length === 2' ||
  fail "the history lost the two delivered items in the upgrade"
ok

step "msiexec /x: program removed, queue kept"
win msiexec /x "$(winepath -w "$work/next.msi")" /qn || fail "msiexec /x exited $?"
[ ! -e "$exe" ] || fail "$exe is still there"
[ -f "$(current_log)" ] && [ "$(emls)" -ge 2 ] && [ -s "$state/queue.db" ] ||
  fail "the user's state was touched"
win cmd /c 'echo %IMSPOOLER_CONFIG%'
[ "$(out)" = '%IMSPOOLER_CONFIG%' ] || fail "IMSPOOLER_CONFIG is still set: $(out)"
ok

passed
