#!/bin/bash
# screen.sh - the dashboard on a large home, in a real terminal (tmux):
#   1. CPU used while idle for BENCH_IDLE_SECS (default 60) at the default
#      refresh (1000 ms), as a percentage of one core;
#   2. the time from a key to the redrawn screen, for moving the selection,
#      paging and jumping to the end, as reported by seetop itself
#      (SEETOP_TRACE_KEYS: from reading the key to the end of the redraw);
#   3. the store server's CPU over the same idle time;
#   4. commit to screen: from the moment `seectl pause` is started to the end
#      of the dashboard's redraw that shows it (SEETOP_TRACE_PUSH), 20 times.
#
#   make bench-screen                    generates 1,000,000 executions first
#   BENCH_HOME=DIR make bench-screen     uses an existing home instead
#   BENCH_SCREEN_EXECUTIONS=N            the size to generate
#
# Prints the figures; exits 1 if seetop could not be driven.
set -u
SEETOP=${BENCH_SEETOP:?run through make bench-screen}
SEECTL=${BENCH_SEECTL:?run through make bench-screen}
command -v tmux >/dev/null || { echo "screen.sh: tmux is not installed" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/var/tmp}/seetop-screen-bench-XXXXXX")
sock="seetop-bench-$$"
T="tmux -L $sock"
trap '$T kill-server 2>/dev/null; rm -rf "$work"' EXIT

home=${BENCH_HOME:-}
n=${BENCH_SCREEN_EXECUTIONS:-1000000}
if [ -z "$home" ]; then
	home=$work/home
	start=$(date +%s.%N)
	"$SEECTL" --home "$home" gen --executions "$n" >/dev/null || { echo "screen.sh: gen failed" >&2; exit 1; }
	awk -v n="$n" -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "generated %d executions in %.1f s\n", n, b - a }'
fi
printf 'refresh_ms: 1000\nconfirm: true\n' >"$work/config.yaml"
trace=$work/keys.trace

$T -f /dev/null new-session -d -x 120 -y 40 \
	"env TERM=xterm-256color SEETOP_CONFIG=$work/config.yaml SEETOP_TRACE_KEYS=$trace SEETOP_TRACE_PUSH=$work/push.trace $SEETOP --home $home --read-only"
for _ in $(seq 100); do
	$T capture-pane -p | grep -q "seetop " && break
	sleep 0.1
done
pid=$($T display -p '#{pane_pid}')
[ -n "$pid" ] && [ -d "/proc/$pid" ] || { echo "screen.sh: seetop did not start" >&2; exit 1; }

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
idle=${BENCH_IDLE_SECS:-60}
sleep 2
spid=$(head -1 "$home/server.lock")
t0=$(ticks "$pid")
s0=$(ticks "$spid")
sleep "$idle"
t1=$(ticks "$pid")
s1=$(ticks "$spid")
awk -v s="$idle" -v t=$((t1 - t0)) -v hz="$hz" -v rss="$(rss "$pid")" 'BEGIN {
	printf "dashboard idle %d s: %d clock ticks = %.3f%% of a core (target < 0.1%%); RSS %d KB\n", s, t, t * 100 / (s * hz), rss }'
awk -v s="$idle" -v t=$((s1 - s0)) -v hz="$hz" -v rss="$(rss "$spid")" 'BEGIN {
	printf "server idle %d s: %d clock ticks = %.3f%% of a core (target < 0.1%%); RSS %d KB\n", s, t, t * 100 / (s * hz), rss }'

# commit to screen: seectl pause (a new process) until the dashboard drew it
ids=$("$SEECTL" --home "$home" list --status running --limit 20 --json | python3 -c '
import json, sys
for line in sys.stdin: print(json.loads(line)["id"])')
: >"$work/push.trace"
: >"$work/c2s"
for id in $ids; do
	lines=$(wc -l <"$work/push.trace")
	t0=$(($(date +%s%N) / 1000))
	"$SEECTL" --home "$home" pause "$id" task1 >/dev/null || { echo "screen.sh: pause $id failed" >&2; break; }
	for _ in $(seq 200); do [ "$(wc -l <"$work/push.trace")" -gt "$lines" ] && break; sleep 0.005; done
	t1=$(tail -1 "$work/push.trace")
	echo $((t1 - t0)) >>"$work/c2s"
	"$SEECTL" --home "$home" resume "$id" task1 >/dev/null
	sleep 0.2
done
sort -n "$work/c2s" | awk '{ v[n++] = $1 / 1000 } END {
	if (n) printf "commit to screen (seectl pause started -> redraw done) %d times: median %.1f ms, max %.1f ms (target: median < 50 ms)\n", n, v[int(n / 2)], v[n - 1] }'

# keys, each given time to be drawn before the next
press() { # KEY COUNT
	for _ in $(seq "$2"); do
		$T send-keys "$1"
		sleep 0.05
	done
}
: >"$trace"
press j 200
press NPage 50
press PPage 20
press G 3
press g 3
press k 50
sleep 1
report() { # LABEL KEYCODES...
	local label=$1
	shift
	local codes=" $* "
	awk -v codes="$codes" -v label="$label" '
		index(codes, " " $1 " ") { v[n++] = $2 / 1000 }
		END {
			if (n == 0) { printf "%-26s no keys traced\n", label; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			printf "%-26s %4d keys  median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n", label, n, v[int(n / 2)],
			       v[int(n * 0.95)], v[n - 1]
		}' "$trace"
}
# ncurses key codes: j 106, k 107, g 103, G 71, NPage 338, PPage 339
report "move the selection (j/k)" 106 107
report "page (PgDn/PgUp)" 338 339
report "jump (g/G)" 103 71
report "every key" 106 107 338 339 103 71
echo "a frame at 60 Hz is 16.7 ms"
[ -s "$trace" ] || { echo "screen.sh: no key was traced" >&2; exit 1; }
exit 0
