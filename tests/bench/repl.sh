#!/bin/bash
# repl.sh - a replication group of three sites on this machine (loopback
# ports) against one site without replication, in one run (make bench-repl):
#   1. durable pause+resume changes per second for BENCH_REPL_SECS (default
#      5): from 1 client, and from 8 clients on 8 executions, at the single
#      site; at the group (quorum acks): 1 client at the master, 1 at a
#      replica (each change forwarded), 8 spread over the three sites; each
#      BENCH_REPL_ROUNDS times (default 3) in turn, the median of each; each
#      group figure as a ratio to the single site's with as many clients;
#   2. replication lag under a steady writer: BENCH_REPL_LAG_CHANGES (default
#      150) changes 250 ms apart at the master, from the moment each was
#      asked for (so its commit's own time is included) to the end of the
#      first redraw after it that a push caused on a read-only seetop (tmux)
#      at each replica (SEETOP_TRACE_PUSH): median and p99;
#   3. catch-up: a replica's server stopped (seectl server stop) while the
#      master makes BENCH_REPL_CATCHUP (default 100,000) changes, then started
#      again: the time from its start until its log is in step with the
#      master's (repl status: lag 0 bytes);
#   4. failover: BENCH_REPL_KILLS (default 10) times, kill -9 of the master's
#      server, then a change (seectl deadline) tried through the survivors
#      until one is acknowledged: median and max of kill -> acknowledged
#      change; the killed site comes back as a replica before the next kill.
#
#   BENCH_REPL_EXECUTIONS=N   the size of the generated homes (default 10,000)
#
# Prints the figures in a table with the targets of the replication issue and
# the load average; exits 1 if a part could not be run.
set -u
SEETOP=${BENCH_SEETOP:?run through make bench-repl}
SEECTL=${BENCH_SEECTL:?run through make bench-repl}
WRITER=${BENCH_WRITER:?run through make bench-repl}
command -v tmux >/dev/null || { echo "repl.sh: tmux is not installed" >&2; exit 1; }
command -v python3 >/dev/null || { echo "repl.sh: python3 is not installed" >&2; exit 1; }
n=${BENCH_REPL_EXECUTIONS:-10000}
secs=${BENCH_REPL_SECS:-5}
lagn=${BENCH_REPL_LAG_CHANGES:-150}
kills=${BENCH_REPL_KILLS:-10}
catchup=${BENCH_REPL_CATCHUP:-100000}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/seetop-repl-XXXXXX")
sock="seetop-repl-$$"
T="tmux -L $sock"
pid_of() { [ -f "$1/server.lock" ] && head -1 "$1/server.lock"; }
cleanup() {
	$T kill-server 2>/dev/null
	"$SEECTL" --home "$work/single" server stop >/dev/null 2>&1
	for s in 1 2 3; do
		p=$(pid_of "$work/site$s")
		[ -n "$p" ] && kill -CONT "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
# die WHY: says why, with each site's repl status, and exits 1
die() {
	echo "repl.sh: $*" >&2
	for s in 1 2 3; do
		[ -d "$work/site$s" ] && "$SEECTL" --home "$work/site$s" repl status --json >&2 2>&1
	done
	[ -n "${BENCH_REPL_KEEP:-}" ] && { trap - EXIT; echo "repl.sh: kept $work" >&2; }
	exit 1
}
ms() { echo $(($(date +%s%N) / 1000000)); }
set -- $(python3 -c '
import socket
s = []
for _ in range(3):
    k = socket.socket(); k.bind(("127.0.0.1", 0)); s.append(k)
print(" ".join(str(k.getsockname()[1]) for k in s))')
addr1=127.0.0.1:$1 addr2=127.0.0.1:$2 addr3=127.0.0.1:$3
home() { echo "$work/site$1"; }
on() { local s=$1; shift; "$SEECTL" --home "$(home "$s")" "$@"; }
status_field() { on "$1" repl status --json 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2" 2>/dev/null; }
master_site() { local s; for s in 1 2 3; do [ "$(status_field $s role)" = master ] && { echo $s; return; }; done; }
# in_step SITE: a replica whose log ends where the master's does
in_step() { [ "$(status_field "$1" role)" = replica ] && [ "$(status_field "$1" lag_bytes)" = 0 ]; }
wait_until() { local until=$(($(ms) + $1 * 1000)); shift; while ! "$@"; do [ "$(ms)" -ge "$until" ] && return 1; sleep 0.1; done; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the homes: one single site, three sites of a group, the same data ----
"$SEECTL" --home "$work/single" gen --executions "$n" >/dev/null || die "gen of the single site failed"
on 1 gen --executions "$n" >/dev/null || die "gen at site 1 failed"
on 1 repl init --listen "$addr1" >/dev/null || die "repl init at site 1 failed"
on 2 repl join --listen "$addr2" --helper "$addr1" >/dev/null || die "site 2 did not join"
on 3 repl join --listen "$addr3" --helper "$addr1" >/dev/null || die "site 3 did not join"
mapfile -t ids < <("$SEECTL" --home "$work/single" list --status running --limit 8 --json |
	python3 -c 'import json, sys
for line in sys.stdin: print(json.loads(line)["id"])')
[ "${#ids[@]}" -eq 8 ] || die "fewer than 8 running executions to change"
waiting=$("$SEECTL" --home "$work/single" paused --limit 1 --json | python3 -c 'import json, sys
for line in sys.stdin: d = json.loads(line); print(d["id"], d["waits_for_answer"][0]); break')
[ -n "$waiting" ] || die "no waiting task for the failover's changes"
set -- $waiting
wexec=$1 wtask=$2

# ---- 1. durable changes per second ----
# rate HOME... : one writer per home (on ids[0], ids[1], ...) for $secs
# seconds at once; prints the changes per second of them all
rate() {
	local i=0 h
	rm -f "$work/rate."*
	for h in "$@"; do
		"$WRITER" "$h" "${ids[$i]}" task1 rate "$secs" >"$work/rate.$i" 2>"$work/rate.$i.err" &
		i=$((i + 1))
	done
	wait
	for j in $(seq 0 $((i - 1))); do
		grep -q '^ops' "$work/rate.$j" || { cat "$work/rate.$j.err" >&2; return 1; }
	done
	cat "$work/rate."[0-9] | awk '{ ops += $2; if ($4 > s) s = $4 } END { printf "%.0f\n", ops / s }'
}
# each figure BENCH_REPL_ROUNDS times (default 3), interleaved, so that the
# load of the machine weighs on all alike; the median of each
S=$work/single
sync
for _ in $(seq "${BENCH_REPL_ROUNDS:-3}"); do
	rate "$S" >>"$work/single1" || die "the single site's writer failed"
	rate "$(home 1)" >>"$work/m1" || die "the writer at the master failed"
	rate "$(home 2)" >>"$work/r1" || die "the writer at a replica failed"
	rate "$S" "$S" "$S" "$S" "$S" "$S" "$S" "$S" >>"$work/single8" || die "the single site's 8 writers failed"
	rate "$(home 1)" "$(home 2)" "$(home 3)" "$(home 1)" "$(home 2)" "$(home 3)" "$(home 1)" "$(home 2)" >>"$work/group8" ||
		die "the 8 writers over the sites failed"
done
median() { sort -n "$work/$1" | awk '{ v[k++] = $1 } END { print v[int(k / 2)] }'; }
single1=$(median single1) m1=$(median m1) r1=$(median r1) single8=$(median single8) group8=$(median group8)

# ---- 2. lag: master commit -> a replica's dashboard ----
printf 'refresh_ms: 1000\n' >"$work/config.yaml"
for s in 2 3; do
	cmd="env TERM=xterm-256color SEETOP_CONFIG=$work/config.yaml SEETOP_TRACE_PUSH=$work/push.$s $SEETOP --home $(home $s) --read-only"
	if [ $s = 2 ]; then $T -f /dev/null new-session -d -x 120 -y 40 "$cmd"; else $T new-window -d "$cmd"; fi
done
up=0
for _ in $(seq 100); do
	up=0
	for w in $($T list-windows -F '#{window_index}'); do
		$T capture-pane -p -t ":$w" | grep -q "seetop " && up=$((up + 1))
	done
	[ "$up" -ge 2 ] && break
	sleep 0.2
done
[ "$up" -ge 2 ] || die "$up of 2 dashboards started at the replicas"
sleep 2
: >"$work/push.2"
: >"$work/push.3"
"$WRITER" "$(home 1)" "${ids[0]}" task1 spaced "$lagn" 250 >"$work/asked" || die "the steady writer failed"
sleep 2
for s in 2 3; do
	awk 'NR == FNR { a[n++] = $1; next } { d[m++] = $1 }
	     END { j = 0; for (i = 0; i < n; i++) { while (j < m && d[j] < a[i]) j++;
	           if (j < m) print d[j] - a[i]; else print "missed" } }' \
		"$work/asked" "$work/push.$s"
done >"$work/lag"
$T kill-server 2>/dev/null
lag=$(grep -v missed "$work/lag" | sort -n | awk '{ v[k++] = $1 / 1000 } END {
	if (k) printf "%.1f %.1f %.1f %d", v[int(k / 2)], v[int(k * 0.99)], v[k - 1], k; else print "- - - 0" }')
lagmissed=$(grep -c missed "$work/lag")

# ---- 3. catch-up: a replica stopped for $catchup changes ----
# (its server stopped, as an operator does: seectl server stop; continuing a
# server stopped with SIGSTOP instead makes it call an election on waking,
# which may depose the master)
m=$(master_site)
[ -n "$m" ] || die "no master before the catch-up"
r=$((m % 3 + 1))
on "$r" server stop >/dev/null 2>&1 || die "site $r's server did not stop"
t0=$(ms)
per=$((catchup / 4 / 2 * 2))
for i in 0 1 2 3; do
	"$WRITER" "$(home "$m")" "${ids[$i]}" task1 count "$per" >"$work/cu.$i" 2>"$work/cu.$i.err" &
done
wait
for i in 0 1 2 3; do grep -q '^ops' "$work/cu.$i" || { cat "$work/cu.$i.err" >&2; die "a writer failed while site $r was stopped"; }; done
written=$(($(ms) - t0))
t0=$(ms)
# any command starts the site's server again; it rejoins and catches up
on "$r" repl status >/dev/null 2>&1
if wait_until 120 in_step "$r"; then caughtup="$(($(ms) - t0)) ms"; else caughtup="not in step after 120 s"; fi

# ---- 4. failover: kill -9 of the master -> the next acknowledged change ----
: >"$work/failover"
for k in $(seq "$kills"); do
	m=$(master_site)
	[ -n "$m" ] || die "no master before kill $k"
	p=$(pid_of "$(home "$m")")
	t0=$(ms)
	kill -9 "$p"
	done_at=
	while [ -z "$done_at" ]; do
		for s in 1 2 3; do
			[ "$s" = "$m" ] && continue
			if on "$s" deadline "$wexec" "$wtask" "$k"h >/dev/null 2>&1; then done_at=$(ms); break; fi
		done
		[ -z "$done_at" ] && [ $(($(ms) - t0)) -gt 60000 ] && die "no change acknowledged within 60 s of kill $k"
	done
	echo $((done_at - t0)) >>"$work/failover"
	# the killed site comes back (a command starts its server) and catches up
	on "$m" repl status >/dev/null 2>&1
	wait_until 60 in_step "$m" || die "site $m did not come back in step within 60 s of kill $k"
	sleep 1
done
failover=$(sort -n "$work/failover" | awk '{ v[k++] = $1 } END { printf "%d %d %d", v[int(k / 2)], v[k - 1], k }')

load1=$(cut -d' ' -f1-3 /proc/loadavg)
set -- $lag
lagmed=$1 lagp99=$2 lagmax=$3 lagk=$4
set -- $failover
fomed=$1 fomax=$2 fok=$3
{
	printf '%-62s %12s  %s\n' "figure (three sites on loopback; $n executions)" measured "ratio / target"
	printf '%-62s %10d/s\n' "single site, no replication: 1 client" "$single1"
	printf '%-62s %10d/s\n' "single site, no replication: 8 clients" "$single8"
	awk -v m="$m1" -v s="$single1" 'BEGIN { printf "%-62s %10d/s  %.2f of the single site\n", "group, quorum acks: 1 client at the master", m, m / s }'
	awk -v m="$r1" -v s="$single1" 'BEGIN { printf "%-62s %10d/s  %.2f of the single site\n", "group, quorum acks: 1 client at a replica (forwarded)", m, m / s }'
	awk -v m="$group8" -v s="$single8" 'BEGIN { printf "%-62s %10d/s  %.2f of the single site\n", "group, quorum acks: 8 clients over the 3 sites", m, m / s }'
	printf '%-62s %9s ms  median < 100 ms\n' "lag, master -> replica's seetop, median ($lagk redraws)" "$lagmed"
	printf '%-62s %9s ms  p99 < 1000 ms\n' "lag, p99 (max $lagmax ms; $lagmissed never drawn)" "$lagp99"
	printf '%-62s %9s ms  median < 5000 ms\n' "failover, kill -9 of the master -> acknowledged change, median of $fok" "$fomed"
	printf '%-62s %9s ms\n' "failover, max" "$fomax"
	printf '%-62s %12s  < 30000 ms\n' "catch-up of a replica stopped for $((per * 4)) changes (made in $written ms)" "$caughtup"
	echo "load average: $load0 before, $load1 after"
}
exit 0
