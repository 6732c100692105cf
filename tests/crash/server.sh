#!/usr/bin/env bash
# The store server under the faults operators cause, with dashboards open:
# - SEETOP_SERVER_KILLS (50) SIGKILLs of the server at random moments under 4
#   writing clients: every acknowledged change is in the audit trail exactly
#   once, and no client saw a change lost or made twice;
# - SEETOP_CLIENT_KILLS (200) SIGKILLs of clients at random moments, a
#   quarter of them in the first milliseconds of the process, while a
#   read-only and a read-write seetop stay open: then a new pause completes
#   within 1 s, both dashboards show it within 1 s, verify is clean and every
#   acknowledged change is there;
# - clients stopped (SIGSTOP) in the middle of an import and of a pause loop
#   for 10 s: other clients' pauses and seetop -b -n 1 -r each finish in
#   under 1 s meanwhile.
set -u
top_srcdir=${SEETOP_TOP_SRCDIR:?run through make check}
top_builddir=${SEETOP_TOP_BUILDDIR:?run through make check}
tool=$top_builddir/tests/crash/crashtool
SEECTL=$top_builddir/cli/seectl
SEETOP=$top_builddir/tui/seetop
server_kills=${SEETOP_SERVER_KILLS:-50}
client_kills=${SEETOP_CLIENT_KILLS:-200}
work=$(mktemp -d "${TMPDIR:-/tmp}/seetop-server-XXXXXX")
sock="seetop-crash-$$"
T="tmux -L $sock"
trap '$T kill-server 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ms() { echo $(($(date +%s%N) / 1000000)); }
# sleeps a random 0.000-0.LLL s
rand_sleep() { sleep "0.$(printf '%03d' $((RANDOM % ${1:-300})))"; }
alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }

home=$work/home
export SEETOP_HOME=$home
export SEETOP_CONFIG=$work/config.yaml
printf 'confirm: false\nrefresh_ms: 200\n' >"$SEETOP_CONFIG"
"$tool" setup "$home" 2000 || { echo "setup failed"; exit 1; }

# ---- server kills under 4 writers ----
for w in 0 1 2 3; do
	"$tool" exactly "$home" "$work/once.$w" "w$w" 25 "$w" 4 2000 >"$work/exactly.$w" 2>&1 &
	writers[$w]=$!
done
sleep 1
killed=0
for i in $(seq 1 "$server_kills"); do
	pid=$(head -1 "$home/server.lock" 2>/dev/null)
	if alive "$pid"; then
		kill -9 "$pid" && killed=$((killed + 1))
	fi
	# the writers start the next server; wait for it, then a random moment
	for _ in $(seq 1 100); do
		new=$(head -1 "$home/server.lock" 2>/dev/null)
		[ -n "$new" ] && [ "$new" != "$pid" ] && alive "$new" && break
		sleep 0.02
	done
	rand_sleep 250
done
for w in 0 1 2 3; do
	wait "${writers[$w]}" || fail "writer $w: $(cat "$work/exactly.$w")"
done
cat "$work"/once.* >"$work/once.all"
out=$(timeout 120 "$tool" once "$home" "$work/once.all" w 2>&1) || fail "after $killed server kills: $out"
echo "server kills: $killed; $(echo "$out" | tail -1)"
[ "$(wc -l <"$work/once.all")" -gt 100 ] || fail "the writers acknowledged almost nothing"

# ---- client kills with two dashboards open ----
$T -f /dev/null new-session -d -x 120 -y 30 "env TERM=xterm-256color $SEETOP --home $home -r; sleep 30"
$T -f /dev/null new-window -d "env TERM=xterm-256color $SEETOP --home $home; sleep 30"
sleep 1
pane() { $T capture-pane -p -t "$1"; }
for t in 0 1; do pane ":$t" | grep -q "seetop " || fail "dashboard $t did not start: $(pane ":$t")"; done
printf 'executions:\n  - id: small-%s\n    workflow_name: Small\n    start_timestamp: 2020-01-01T00:00:00Z\n    status: running\n    tasks:\n      - {task_id: t, status: in-progress}\n' x >"$work/small.yaml"
for i in $(seq 1 "$client_kills"); do
	case $((RANDOM % 4)) in
	0) "$tool" write "$home" "$work/ack" "$i" 2>>"$work/writer.err" & ;;
	1) "$SEECTL" pause "e$(printf '%06d' $((RANDOM % 2000)))" t2 >/dev/null 2>&1 & ;;
	2) sed "s/small-x/small-$i/" "$work/small.yaml" | "$SEECTL" import - >/dev/null 2>&1 & ;;
	3) "$SEECTL" list --limit 20 >/dev/null 2>&1 & ;;
	esac
	pid=$!
	if [ $((RANDOM % 4)) = 0 ]; then
		sleep "0.00$((RANDOM % 6))" # the first milliseconds of the process
	else
		rand_sleep 200
	fi
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
grep -v "^$" "$work/writer.err" | grep -v "Killed" | head -3 | while read -r line; do fail "a killed writer said: $line"; done
# a new change, and both dashboards show it
"$SEECTL" import - >/dev/null <<'EOF' || fail "importing the probe"
executions:
  - id: zz-probe
    workflow_name: Probe
    start_timestamp: 2099-01-01T00:00:00Z
    status: running
    tasks:
      - {task_id: t, status: in-progress}
EOF
# the dashboards keep their selection as rows arrive above it: go to the top
for t in 0 1; do
	$T send-keys -t ":$t" g
	for _ in $(seq 1 40); do pane ":$t" | grep -q "zz-probe" && break; sleep 0.05; done
	pane ":$t" | grep -q "zz-probe" || fail "dashboard $t does not list a new execution at its top:
$(pane ":$t")"
done
t0=$(ms)
"$SEECTL" pause zz-probe t >/dev/null || fail "pause after the client kills"
t1=$(ms)
[ $((t1 - t0)) -lt 1000 ] || fail "a pause after the client kills took $((t1 - t0)) ms"
for t in 0 1; do
	shown=
	while [ $(($(ms) - t1)) -lt 1000 ]; do
		# an operator's pause has its own look (paused), apart from a task that asks
		pane ":$t" | grep -qE "(paused|waiting-for-input) +zz-probe" && { shown=$(($(ms) - t1)); break; }
		sleep 0.02
	done
	[ -n "$shown" ] || fail "dashboard $t did not show the pause within 1 s:
$(pane ":$t")"
done
out=$(timeout 120 "$tool" check "$home" "$work/ack" 2>&1) || fail "after $client_kills client kills: $out"
echo "client kills: $client_kills; $(echo "$out" | tail -1)"
for t in 0 1; do pane ":$t" | grep -q "seetop " || fail "dashboard $t is gone"; done
for t in 0 1; do $T send-keys -t ":$t" q; done
for t in 0 1; do
	for _ in $(seq 50); do pane ":$t" | grep -q "seetop " || break; sleep 0.1; done
	pane ":$t" | grep -q "seetop " && fail "dashboard $t did not quit on q within 5 s: $(pane ":$t" | tail -3)"
done

# ---- stopped clients ----
python3 - "$work/big.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("executions:\n")
    for i in range(30000):
        f.write(f"  - {{id: big-{i:05d}, workflow_name: Big, start_timestamp: 2021-01-01T00:00:00Z, status: running, tasks: [{{task_id: t, status: in-progress}}]}}\n")
PY
"$SEECTL" import "$work/big.yaml" >/dev/null 2>&1 &
importer=$!
"$tool" churn "$home" 60 7 stopped >/dev/null 2>&1 &
churner=$!
sleep 0.4
kill -STOP "$importer" "$churner"
sleep 0.5 # whatever the importer sent before it stopped is done by now
slowest=0
end=$((SECONDS + 10))
n=0
while [ $SECONDS -lt $end ]; do
	e="e$(printf '%06d' $((RANDOM % 2000)))"
	for cmd in "$SEECTL pause $e t3" "$SEECTL resume $e t3" "$SEETOP -b -n 1 -r"; do
		t0=$(ms)
		$cmd >/dev/null 2>&1
		rc=$?
		t1=$(ms)
		[ $rc -le 1 ] || fail "'$cmd' while clients are stopped: exit $rc"
		[ $((t1 - t0)) -gt "$slowest" ] && slowest=$((t1 - t0))
	done
	n=$((n + 1))
done
[ "$slowest" -lt 1000 ] || fail "with two clients stopped, a pause, a resume or seetop -b took $slowest ms"
echo "stopped clients: $n rounds of pause, resume and seetop -b -n 1 -r, the slowest $slowest ms"
kill -CONT "$importer" "$churner"
kill -9 "$churner" 2>/dev/null
wait "$importer" || fail "the import that was stopped failed once continued"
wait "$churner" 2>/dev/null
[ "$(timeout 60 "$tool" count "$home" big-)" = 30000 ] || fail "the stopped import did not complete whole"
"$tool" open "$home" || fail "verify after the stopped clients"
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }
