#!/bin/bash
# fanout.sh - many dashboards and one engine (make bench-fanout):
#   1. a writer's durable pause+resume changes per second on one task for
#      BENCH_FANOUT_SECS (default 5), alone and then with K read-only seetop
#      dashboards open in tmux (K = BENCH_FANOUT_K, default 30), in one run,
#      with the server's and the dashboards' CPU meanwhile, and the requests
#      the dashboards made (server status);
#   2. commit to screen on every dashboard: 20 changes 300 ms apart, from the
#      moment each was asked for to the end of each dashboard's redraw that
#      followed it (SEETOP_TRACE_PUSH): median, p99 and max over all of them;
#   3. the K dashboards and the server idle for BENCH_FANOUT_IDLE seconds
#      (default 10): their CPU together, as a percentage of one core (from
#      the scheduler's nanoseconds, /proc/PID/schedstat: clock ticks are too
#      coarse for a few milliseconds), each part's share, and how often
#      each process woke (its context switches) per second.
#
#   make bench-fanout                       generates 10,000 executions first
#   BENCH_FANOUT_EXECUTIONS=N               the size to generate
#
# Prints the figures (the issue's targets beside them); exits 1 if the
# dashboards or the writer could not be run.
set -u
SEETOP=${BENCH_SEETOP:?run through make bench-fanout}
SEECTL=${BENCH_SEECTL:?run through make bench-fanout}
WRITER=${BENCH_WRITER:?run through make bench-fanout}
command -v tmux >/dev/null || { echo "fanout.sh: tmux is not installed" >&2; exit 1; }
K=${BENCH_FANOUT_K:-30}
secs=${BENCH_FANOUT_SECS:-5}
idle=${BENCH_FANOUT_IDLE:-10}
n=${BENCH_FANOUT_EXECUTIONS:-10000}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/seetop-fanout-XXXXXX")
sock="seetop-fanout-$$"
T="tmux -L $sock"
trap '$T kill-server 2>/dev/null; "$SEECTL" --home "$work/home" server stop >/dev/null 2>&1; rm -rf "$work"' EXIT
hz=$(getconf CLK_TCK)
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo $t; }
# the CPU nanoseconds and the wake-ups (context switches) of processes, every thread counted
runtime() { local t=0 p f; for p in "$@"; do for f in /proc/"$p"/task/*/schedstat; do [ -r "$f" ] && t=$((t + $(cut -d' ' -f1 "$f"))); done; done; echo $t; }
wakes() { local t=0 p f; for p in "$@"; do for f in /proc/"$p"/task/*/status; do [ -r "$f" ] && t=$((t + $(awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' "$f"))); done; done; echo $t; }

home=$work/home
"$SEECTL" --home "$home" gen --executions "$n" >/dev/null || { echo "fanout.sh: gen failed" >&2; exit 1; }
exec_id=$("$SEECTL" --home "$home" list --status running --limit 1 --json | python3 -c '
import json, sys
for line in sys.stdin: print(json.loads(line)["id"]); break')
[ -n "$exec_id" ] || { echo "fanout.sh: no running execution to change" >&2; exit 1; }
task=task1
spid=$(head -1 "$home/server.lock")

rate() { "$WRITER" "$home" "$exec_id" "$task" rate "$secs" | awk '{ printf "%.0f", $2 / $4 }'; }

# 1. alone, then with K dashboards
alone=$(rate) || { echo "fanout.sh: the writer failed alone" >&2; exit 1; }
printf 'refresh_ms: 1000\n' >"$work/config.yaml"
for i in $(seq "$K"); do
	cmd="env TERM=xterm-256color SEETOP_CONFIG=$work/config.yaml SEETOP_TRACE_PUSH=$work/push.$i $SEETOP --home $home --read-only"
	if [ "$i" = 1 ]; then
		$T -f /dev/null new-session -d -x 120 -y 40 "$cmd"
	else
		$T new-window -d "$cmd"
	fi
done
pids=
for _ in $(seq 300); do
	pids=$($T list-panes -a -F '#{pane_pid}' | tr '\n' ' ')
	up=0
	for w in $($T list-windows -F '#{window_index}'); do
		$T capture-pane -p -t ":$w" | grep -q "seetop " && up=$((up + 1))
	done
	[ "$up" -ge "$K" ] && break
	sleep 0.2
done
[ "$up" -ge "$K" ] || { echo "fanout.sh: $up of $K dashboards started" >&2; exit 1; }
sleep 1
# the read-only requests the server counted (the owner's status asking is not one)
ro() { "$SEECTL" --home "$home" server status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_read_only"])'; }
r0=$(ro)
s0=$(ticks "$spid")
d0=$(ticks $pids)
with=$(rate) || { echo "fanout.sh: the writer failed with $K dashboards" >&2; exit 1; }
s1=$(ticks "$spid")
d1=$(ticks $pids)
r1=$(ro)
awk -v a="$alone" -v w="$with" -v k="$K" -v s="$secs" -v sc=$((s1 - s0)) -v dc=$((d1 - d0)) -v hz="$hz" \
    -v asked=$((r1 - r0)) 'BEGIN {
	printf "writer alone:              %8d durable changes/s\n", a
	printf "writer with %2d dashboards: %8d durable changes/s  ratio %.2f (target >= 0.90)\n", k, w, w / a
	printf "  meanwhile: server %.1f%% of a core, the %d dashboards %.1f%%, %d requests from them\n", sc * 100 / (s * hz), k, dc * 100 / (s * hz), asked }'

# 2. commit to screen on every dashboard
sleep 2
for i in $(seq "$K"); do : >"$work/push.$i"; done
"$WRITER" "$home" "$exec_id" "$task" spaced 20 300 >"$work/asked" || { echo "fanout.sh: spaced changes failed" >&2; exit 1; }
sleep 1
# for each change, each dashboard's first redraw after it was asked for
for i in $(seq "$K"); do
	awk 'NR == FNR { a[n++] = $1; next } { d[m++] = $1 }
	     END { j = 0; for (i = 0; i < n; i++) { while (j < m && d[j] < a[i]) j++;
	           if (j < m && (i + 1 == n || d[j] < a[i + 1])) print d[j] - a[i]; else print "missed" } }' \
		"$work/asked" "$work/push.$i"
done >"$work/c2s"
missed=$(grep -c missed "$work/c2s")
grep -v missed "$work/c2s" | sort -n | awk -v k="$K" -v missed="$missed" '{ v[n++] = $1 / 1000 } END {
	if (!n) { print "commit to screen: no redraw traced"; exit }
	printf "commit to screen on %d dashboards, %d changes: median %.1f ms, p99 %.1f ms, max %.1f ms (targets: median < 100, p99 < 250); %d not drawn before the next change\n",
	       k, n + missed, v[int(n / 2)], v[int(n * 0.99)], v[n - 1], missed }'

# 3. idle
sleep 2
s0=$(runtime "$spid") d0=$(runtime $pids) sw0=$(wakes "$spid") dw0=$(wakes $pids)
sleep "$idle"
s1=$(runtime "$spid") d1=$(runtime $pids) sw1=$(wakes "$spid") dw1=$(wakes $pids)
awk -v k="$K" -v s="$idle" -v sn=$((s1 - s0)) -v dn=$((d1 - d0)) -v sw=$((sw1 - sw0)) -v dw=$((dw1 - dw0)) \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
	printf "%d idle dashboards and the server, %d s: %.2f%% of a core (target < 0.5%%); load average %s\n", k, s, (sn + dn) * 100 / (s * 1e9), load
	printf "  the server %.3f%% (%.1f wake-ups/s), each dashboard %.3f%% (%.1f wake-ups/s)\n", sn * 100 / (s * 1e9), sw / s,
	       dn * 100 / (s * 1e9 * k), dw / (s * k) }'
exit 0
