# Step timing shared by the smoke scripts (windows-smoke.sh, linux-program-smoke.sh,
# wine-lock-check.sh). Source it after setting SMOKE_NAME (the prefix of every line); it starts the
# whole run's clock. Each script keeps its own `fail` (what it prints on failure differs); this
# file's functions only print and wait.
#
#   step "what"          a step starts:            <name>: what ...
#   ok                   the step passed:           <name>: what: ok (1.2s)
#   note "what"          a line stamped with the time since the start:  [  12.3s] what
#   passed               the whole run passed:     <name>: passed in 95.0s
#   wait_for S CMD ARGS  runs CMD every 0.2 s until it succeeds (0) or S seconds pass (1)
#   elapsed T            seconds since T (a `date +%s.%N`), one decimal

smoke_t0=$(date +%s.%N)
current=
step_t=

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

step() {
  current=$1
  step_t=$(date +%s.%N)
  printf '%s: %s ...\n' "$SMOKE_NAME" "$current"
}

ok() { printf '%s: %s: ok (%ss)\n' "$SMOKE_NAME" "$current" "$(elapsed "$step_t")"; }

note() { printf '[%6.1fs] %s\n' "$(elapsed "$smoke_t0")" "$*"; }

passed() { printf '%s: passed in %ss\n' "$SMOKE_NAME" "$(elapsed "$smoke_t0")"; }

wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}
