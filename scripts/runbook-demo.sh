#!/bin/bash
# Runs the scenarios of docs/operations.md's questions against the EWS sandbox and writes what each
# command printed to $DEMO/out/NN-*.txt, to paste into the runbook after a change to the output.
# Linux with jq, curl, sqlite3 and timeout (coreutils); ports 8099 (sandbox) and 9464 (metrics) must be free.
#   scripts/runbook-demo.sh [DEMO_DIR]   (default /tmp/rbdemo; it is emptied)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${1:-/tmp/rbdemo}
mkdir -p "$DEMO" && cd "$DEMO" || exit 1
export IMSPOOLER_CONFIG=$DEMO/imspooler.json
export IMSPOOLER_EWS_PASSWORD=demo-password
N=$ROOT/node_modules/.bin/node; B=$ROOT/bin/imspooler.js
imspooler() { "$N" "$B" "$@"; }
cat > imspooler.json <<'JSON'
{
  "spool": { "paths": ["./Lync/sip_alice@contoso.com/History Spooler"], "grace": "5s", "rescan": "10s" },
  "stateDir": "./var",
  "delivery": {
    "transport": "ews",
    "concurrency": 2,
    "ews": {
      "url": "http://127.0.0.1:8099/EWS/Exchange.asmx",
      "auth": { "type": "basic", "username": "CONTOSO\\alice", "passwordEnv": "IMSPOOLER_EWS_PASSWORD" },
      "timeout": "5s"
    }
  },
  "organization": { "domains": ["contoso.com"] },
  "retry": { "minDelay": "30s", "maxDelay": "1h", "maxAge": "72h", "quickRetries": 0 },
  "log": { "level": "info", "file": "./var/log/imspooler.log", "console": "json" },
  "metrics": { "listen": "127.0.0.1:9464", "degradedAfter": { "ewsFailing": "5s" } }
}
JSON
cat > later.json <<'JSON'
{ "spool": { "paths": ["./Lync/sip_carol@contoso.com/History Spooler"] }, "stateDir": "./var", "delivery": { "transport": "sandbox" } }
JSON
cat > auto.json <<'JSON'
{ "spool": { "paths": ["auto"] }, "stateDir": "./var-auto", "delivery": { "transport": "sandbox" } }
JSON
waitfor() { for i in $(seq 1 ${2:-100}); do eval "$1" && return 0; sleep 0.2; done; echo "timeout: $1" >&2; }
O=$DEMO/out; rm -rf "$O"; mkdir -p "$O"
S="Lync/sip_alice@contoso.com/History Spooler"
kill -TERM $(cat daemon.pid) 2>/dev/null; kill -TERM $(cat sandbox.pid) 2>/dev/null; sleep 2
rm -rf var mailbox "$S"; mkdir -p "$S"
( "$N" "$B" sandbox --port 8099 --mailbox "$DEMO/mailbox" > sandbox.out 2>&1 & echo $! > sandbox.pid )
sleep 1.5
( "$N" "$B" run > daemon.out 2>&1 & echo $! > daemon.pid ); waitfor 'grep -q daemon.started daemon.out 2>/dev/null'
drop() { printf '%s' "$2" > "$S/.tmp"; mv "$S/.tmp" "$S/$1"; }
faults() { curl -s -X POST -H 'content-type: application/json' -d "$1" http://127.0.0.1:8099/sandbox/faults >/dev/null; }
clearfaults() { curl -s -X DELETE http://127.0.0.1:8099/sandbox/faults >/dev/null; }
LOG=var/log/imspooler.log
# 1. never arrived
drop '{8A1F3C2E-0B4D-4E7A-9F61-2C5D7E8B9A10}.json' '{"from":"alice@contoso.com","to":["sip:bob@contoso.com"],"subject":"Lunch?","messages":[{"at":"2026-12-02T09:58:03Z","text":"Are you free at 12?"}]}'
drop '{0C7E5D21-6A3B-4F89-B2D4-71E09A3C5F66}.json' '{"from":"alice@contoso.com","to":["bob@contoso.com"],"cc":["carol@fabrikam.com"],"messages":[{"at":"2026-12-02T10:02:41Z","text":"Slides attached in Teams"}]}'
waitfor 'imspooler status | grep -q "2 in grace"'; imspooler status > $O/01-status-grace.txt
waitfor '[ $(grep -c delivery.succeeded daemon.out) -ge 2 ]'
ls -tr var/log/ > $O/02-logfiles.txt
LOG=$(ls -tr var/log/imspooler*.log | tail -1); echo "$LOG" > $O/02-log.txt
jq -r 'select([.email.to.address[]?, .email.cc.address[]?] | index("bob@contoso.com")) | [."@timestamp", .event.action, .imspooler.item.id[0:12], .event.outcome] | @tsv' $LOG > $O/03-jq-bob.txt
ID2=$(jq -r 'select(.event.action=="item.claimed" and (.email.cc.address|length)>0) | .imspooler.item.id[0:8]' $LOG | head -1); echo $ID2 > $O/04-id2.txt
jq -c "select(.imspooler.item.id // \"\" | startswith(\"$ID2\")) | {t: .\"@timestamp\", action: .event.action, to: .email.to.address, cc: .email.cc.address, groups: .imspooler.groups}" $LOG > $O/04-story.txt
# TODO(history) in the runbook: these two print their answer once `history` and `show` of a
# delivered item exist (before that, the error is recorded).
imspooler history --to bob@contoso.com --since 7d > $O/04a-history-bob.txt 2>&1
imspooler show $ID2 > $O/04b-show-delivered.txt 2>&1
# 2. twice
faults '{"dropAfterAccept":{"count":1}}'
drop '{5B9E2A40-C1D7-4E3F-8A26-D4F0B7C91E35}.json' '{"from":"alice@contoso.com","to":["dave@contoso.com"],"messages":[{"text":"Running 5 min late"}]}'
waitfor 'grep -q delivery.deferred daemon.out'; ID3=$(imspooler status --json | jq -r '.items[0].id[0:8]'); echo $ID3 > $O/05-id3.txt
imspooler retry $ID3 > $O/05-retry.txt; waitfor '[ $(grep -c delivery.succeeded daemon.out) -ge 3 ]'
grep -h '^X-IMSpooler-Item-Id' mailbox/*.eml > $O/06-headers.txt
jq -r "select(.imspooler.item.id // \"\" | startswith(\"$ID3\")) | [.\"@timestamp\", .event.action, .imspooler.attempt // \"-\", .error.code // \"-\", .message] | @tsv" $LOG > $O/07-story3.txt
grep -l $ID3 mailbox/*.eml | wc -l > $O/07-count.txt
tail -3 sandbox.out > $O/07-sandbox.txt
imspooler show $ID3 > $O/07b-show-twice.txt
# 3. nothing sent
faults '{"http401":true}'
drop '{E2D4C6B8-A0F1-4357-9B2D-6E8F0A1C3B5D}.json' '{"from":"alice@contoso.com","to":["erin@contoso.com"],"messages":[{"text":"Can you approve the PO?"}]}'
waitfor '[ $(grep -c delivery.deferred daemon.out) -ge 2 ]'; imspooler status > $O/08-status-401.txt
ID4=$(imspooler status --json | jq -r '.items[0].id[0:8]'); imspooler show $ID4 > $O/09-show-401.txt
waitfor 'curl -s http://127.0.0.1:9464/healthz | grep -q degraded'; curl -s -i http://127.0.0.1:9464/healthz | tr -d '\r' | sed -n '1p;/^{/p' > $O/09b-healthz.txt
jq . <(sed -n '/^{/p' $O/09b-healthz.txt) > $O/09c-healthz-pretty.txt
timeout 20 "$N" "$B" run > $O/09d-second-daemon.txt 2>&1; echo "rc=$?" >> $O/09d-second-daemon.txt
# A daemon that runs but takes nothing: "auto" finds no History Spooler (no LOCALAPPDATA here).
rm -rf var-auto; ( env -u LOCALAPPDATA "$N" "$B" run --config auto.json > auto.out 2>&1 & echo $! > auto.pid )
waitfor 'imspooler status --config auto.json | grep -q "^problem:"'; imspooler status --config auto.json > $O/09e-status-problem.txt
kill -TERM $(cat auto.pid); sleep 1
imspooler check-config --probe > $O/10-probe-bad.txt 2>&1; echo "rc=$?" >> $O/10-probe-bad.txt
clearfaults
imspooler check-config --probe > $O/11-probe-ok.txt 2>&1
imspooler retry --all > $O/12-retry-all.txt; waitfor '[ $(grep -c delivery.succeeded daemon.out) -ge 4 ]'
# 4. PC off: one item is deferred (gina's mailbox is unavailable) when the PC goes off
faults '{"recipientErrors":{"gina@contoso.com":"ErrorMailboxStoreUnavailable"}}'
drop '{2B4D6F8A-0C1E-4A3B-9D5F-7E9A1B3C5D7F}.json' '{"from":"alice@contoso.com","to":["gina@contoso.com"],"messages":[{"at":"2026-11-25T16:30:00Z","text":"Board minutes"}]}'
waitfor '[ $(grep -c delivery.deferred daemon.out) -ge 3 ]'
kill -TERM $(cat daemon.pid); sleep 2
curl -sS http://127.0.0.1:9464/healthz > $O/13b-healthz-off.txt 2>&1; echo "rc=$?" >> $O/13b-healthz-off.txt
drop '{1D3F5A7C-9E0B-4C2D-8F4A-6B8D0E2F4A6C}.json' '{"from":"alice@contoso.com","to":["bob@contoso.com"],"messages":[{"at":"2026-11-25T16:40:00Z","text":"Have a good weekend"}]}'
drop '{7F9B1D3E-5A2C-4E6F-9D8B-0C2E4A6F8B1D}.json' '{"from":"alice@contoso.com","to":["frank@fabrikam.com"],"messages":[{"at":"2026-11-25T16:52:00Z","text":"Invoice sent"}]}'
touch -d '7 days ago' "$S"/*.json
ls -l "$S" > $O/13-ls.txt; imspooler status > $O/14-status-off.txt
T=$(date -u +%Y-%m-%dT%H:%M:%S); echo $T > $O/15-since.txt
# A week cannot be waited for: this daemon runs with retry.maxAge shortened to 5s in its environment,
# so gina's item (first seen more than 5s ago) expires at its first failure after the start, as one
# deferred for more than 72h would after a week away.
( IMSPOOLER__RETRY__MAX_AGE=5s "$N" "$B" run > daemon2.out 2>&1 & echo $! > daemon.pid )
# (gina's next attempt is due 30s after its deferral, as planned before the stop: after a real week
# it is long past, and the item is tried at once.)
waitfor '[ $(grep -c delivery.succeeded daemon2.out 2>/dev/null) -ge 2 ] && grep -q item.expired daemon2.out' 250
LOG=$(ls -tr var/log/imspooler*.log | tail -1)
jq -r "select(.\"@timestamp\" >= \"$T\") | [.\"@timestamp\", .event.action // \"-\", .imspooler.item.id[0:12] // \"-\", (.email.to.address // [] | join(\",\")), .message] | @tsv" $LOG > $O/15-restart.txt
imspooler status > $O/15b-status-expired.txt
ID6=$(imspooler status --json | jq -r '.items[0].id[0:12]'); imspooler show $ID6 > $O/15c-show-expired.txt
clearfaults; imspooler retry $ID6 > $O/15d-retry.txt; waitfor '[ $(grep -c delivery.succeeded daemon2.out) -ge 3 ]'
imspooler history --from alice@contoso.com --since 1d > $O/15e-history-week.txt
# 5. EXO
faults '{"responseCode":"ErrorNonExistentMailbox"}'
drop '{3C5E7A9B-1D2F-4A6C-8E0B-2D4F6A8C0E3B}.json' '{"from":"alice@contoso.com","to":["bob@contoso.com"],"messages":[{"text":"Are you joining the call?"}]}'
waitfor 'grep -q delivery.failed daemon2.out'; sleep 1.5; imspooler status > $O/16-status-exo.txt
ID5=$(imspooler status --json | jq -r '.items[0].id[0:12]'); imspooler show $ID5 > $O/17-show-exo.txt
clearfaults; imspooler retry --all > $O/18-retry.txt; waitfor '[ $(grep -c delivery.succeeded daemon2.out) -ge 4 ]'
# 6. ignored
printf 'x' > "$S/.lock"; printf '{"from":' > "$S/{9A8B7C6D-5E4F-4A3B-2C1D-0E9F8A7B6C5D}.json.tmp"; printf 'x' > "$S/~\$offline.json"; mkdir -p "$S/old"; printf '{}' > "$S/old/kept.json"
cp "$ROOT/config/samples/bad.json" "$S/.t6"; mv "$S/.t6" "$S/{4E6A8C0E-2B4D-4F6A-8C0E-2B4D6F8A0C2E}.json"
printf '\x00\x01\x02binary' > "$S/.t7"; mv "$S/.t7" "$S/{B1C2D3E4-F5A6-4B7C-8D9E-0F1A2B3C4D5E}.dat"
waitfor 'imspooler status | grep -q "2 in grace"'; ls -la "$S" > $O/19-ls.txt; imspooler status > $O/20-status-grace.txt
waitfor 'imspooler status | grep -q "2 quarantined"'; imspooler status > $O/21-status-q.txt
Q1=$(imspooler status --json | jq -r '.items[] | select(.lastError.code=="NoRecipients") | .id[0:12]'); imspooler show $Q1 > $O/22-show-q1.txt
Q2=$(imspooler status --json | jq -r '.items[] | select(.lastError.code=="Binary") | .id[0:12]'); imspooler show $Q2 > $O/23-show-q2.txt
imspooler check-config --config later.json > $O/24-later.txt
(unset IMSPOOLER_CONFIG; imspooler status; imspooler show $Q1) > $O/25-noconfig.txt 2>&1
# Looking inside the database, read-only, while the daemon runs.
sqlite3 -readonly -header -column var/queue.db "SELECT substr(id,1,12) AS id, state, first_seen_at, finished_at, from_addr FROM items ORDER BY first_seen_at DESC LIMIT 5" > $O/26-sqlite.txt
sqlite3 -readonly var/queue.db "SELECT state, count(*) FROM items GROUP BY state" > $O/27-sqlite-counts.txt
# Leave nothing running.
kill -TERM $(cat daemon.pid) $(cat sandbox.pid) 2>/dev/null
echo "outputs in $O"
