#!/bin/bash
# bulk.sh - bulk actions on BENCH_BULK_EXECUTIONS (default 10,000) waiting
# executions, with a dashboard open in a real terminal (tmux):
#   1. the pre-flight (seectl resume --all --dry-run): its time;
#   2. seectl resume --all: its time, and executions per second;
#   3. while it runs, keys pressed in the dashboard every 50 ms: the time from
#      each key to the end of its redraw (SEETOP_TRACE_KEYS), median and p95;
#   4. the dashboard's own bulk action: 1,000 marked rows, R, y: its time,
#      and the keys pressed while it runs (it runs between them).
# The bare times are for the record; nothing here asserts one.
set -u
SEETOP=${BENCH_SEETOP:?run through make bench-bulk}
SEECTL=${BENCH_SEECTL:?run through make bench-bulk}
command -v tmux >/dev/null || { echo "bulk.sh: tmux is not installed" >&2; exit 1; }
n=${BENCH_BULK_EXECUTIONS:-10000}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/seetop-bulk-bench-XXXXXX")
sock="seetop-bulk-$$"
T="tmux -L $sock"
trap '$T kill-server 2>/dev/null; "$SEECTL" --home "$work/home" server stop >/dev/null 2>&1; rm -rf "$work"' EXIT
home=$work/home
# waiting_yaml FILE N PREFIX DAY: N waiting executions PREFIX-000000...,
# started one a second from DAY, each asking one answer with a default
waiting_yaml() {
	python3 - "$@" <<'PY'
import sys
path, n, prefix, day = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(path, "w") as f:
    f.write("executions:\n")
    for i in range(n):
        f.write(f"""- id: {prefix}-{i:06d}
  workflow_name: Bulk {i % 7}
  start_timestamp: {day}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z
  status: waiting-for-input
  is_paused: true
  paused_task_id: approve
  tasks:
  - {{task_id: approve, status: waiting-for-input, input: {{prompt: "Ship?", type: boolean, required: true, default: "false"}}}}
""")
PY
}
waiting_yaml "$work/data.yaml" "$n" bulk 2025-01-01
"$SEECTL" --home "$home" import "$work/data.yaml" >/dev/null || { echo "bulk.sh: import failed" >&2; exit 1; }
printf 'refresh_ms: 1000\nconfirm: true\n' >"$work/config.yaml"
$T -f /dev/null new-session -d -x 120 -y 40 \
	"env TERM=xterm-256color SEETOP_CONFIG=$work/config.yaml SEETOP_TRACE_KEYS=$work/keys.trace $SEETOP --home $home"
for _ in $(seq 100); do $T capture-pane -p | grep -q "seetop " && break; sleep 0.1; done

ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
"$SEECTL" --home "$home" resume --all --dry-run >/dev/null 2>"$work/pre.err"
t1=$(ms)
echo "pre-flight of $n executions (resume --all --dry-run): $((t1 - t0)) ms ($(head -1 "$work/pre.err"))"

: >"$work/keys.trace"
t0=$(ms)
"$SEECTL" --home "$home" resume --all >/dev/null 2>"$work/run.err" &
pid=$!
keys=0
while kill -0 $pid 2>/dev/null; do
	$T send-keys j
	keys=$((keys + 1))
	sleep 0.05
done
wait $pid
rc=$?
t1=$(ms)
awk -v n="$n" -v ms=$((t1 - t0)) -v rc=$rc 'BEGIN {
	printf "resume --all of %d executions: %d ms, %.0f executions/s (exit %d)\n", n, ms, n * 1000 / ms, rc }'
tail -1 "$work/run.err"
sort -n -k2 "$work/keys.trace" | awk '{ v[n++] = $2 / 1000 } END {
	if (n == 0) { print "no keys traced"; exit 1 }
	printf "dashboard during the bulk resume: %d keys, key to screen median %.2f ms, p95 %.2f ms, max %.2f ms (target p95 < 50 ms)\n",
	       n, v[int(n / 2)], v[int(n * 0.95)], v[n - 1] }'
left=$("$SEECTL" --home "$home" list --status waiting --json | wc -l)
echo "still waiting after the run: $left"

# ---- 4. seetop's own bulk action on 1,000 marked rows ----
m=1000
waiting_yaml "$work/more.yaml" "$m" mark 2025-06-01
"$SEECTL" --home "$home" import "$work/more.yaml" >/dev/null || { echo "bulk.sh: import of $m failed" >&2; exit 1; }
$T send-keys g
for _ in $(seq 100); do $T capture-pane -p | grep -q "mark-000999" && break; sleep 0.1; done
space=()
for _ in $(seq "$m"); do space+=(Space); done
$T send-keys "${space[@]}"
for _ in $(seq 600); do $T capture-pane -p | grep -qF "[marked $m]" && break; sleep 0.1; done
t0=$(ms)
$T send-keys R
for _ in $(seq 600); do $T capture-pane -p | grep -qF "Resume $m executions?" && break; sleep 0.01; done
t1=$(ms)
echo "dashboard pre-flight of $m marked executions (R to its question): $((t1 - t0)) ms"
: >"$work/keys.trace"
t0=$(ms)
$T send-keys y
keys=0
while ! $T capture-pane -p | grep -qF "resumed $m, skipped 0, refused 0"; do
	$T send-keys j
	keys=$((keys + 1))
	sleep 0.05
	[ $(($(ms) - t0)) -gt 120000 ] && { echo "bulk.sh: the dashboard's bulk action did not end" >&2; exit 1; }
done
t1=$(ms)
echo "dashboard bulk resume of $m marked executions: $((t1 - t0)) ms, $keys keys pressed meanwhile"
sort -n -k2 "$work/keys.trace" | awk '$1 == 106 { v[n++] = $2 / 1000 } END {
	if (n == 0) { print "no j keys traced during the dashboard bulk action"; exit 0 }
	printf "dashboard keys during its own bulk action: %d, key to screen median %.2f ms, p95 %.2f ms, max %.2f ms\n",
	       n, v[int(n / 2)], v[int(n * 0.95)], v[n - 1] }'
