#!/usr/bin/env bash
# seerun under kill -9 at random moments (while commands run, while it
# waits, just after a resume, in its first milliseconds), each time
# continued with seerun --continue, with a dashboard open.  Then: every
# execution is complete, every command's output is recorded at least once,
# every answer was used exactly once, and verify is clean.
set -u
top_srcdir=${SEETOP_TOP_SRCDIR:?run through make check}
top_builddir=${SEETOP_TOP_BUILDDIR:?run through make check}
SEECTL=$top_builddir/cli/seectl
SEERUN=$top_builddir/cli/seerun
SEETOP=$top_builddir/tui/seetop
runs=${SEETOP_SEERUN_RUNS:-12}
work=$(mktemp -d "${TMPDIR:-/tmp}/seetop-seerun-XXXXXX")
sock="seetop-seerun-$$"
T="tmux -L $sock"
trap '$T kill-server 2>/dev/null; pkill -9 -f "$work" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
rand_sleep() { sleep "0.$(printf '%03d' $((RANDOM % ${1:-300})))"; }
alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
export SEETOP_HOME=$work/home
export SEETOP_CONFIG=$work/config.yaml
printf 'confirm: false\nrefresh_ms: 200\n' >"$SEETOP_CONFIG"
wf=$work/crash.json
cp "$top_srcdir/tests/data/workflows/crash.json" "$wf"
mkdir -p "$SEETOP_HOME"
"$SEECTL" --create server start >/dev/null 2>&1

$T new-session -d -x 120 -y 30 "$SEETOP"

# field EXEC EXPR: a Python expression over show --json (d), or "missing"
field() {
	"$SEECTL" show "$1" --json >"$work/f.json" 2>/dev/null || { echo missing; return; }
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t={x["task_id"]:x for x in d["tasks"]}; print(eval(sys.argv[2]))' "$work/f.json" "$2"
}

kills=0
declare -a started
for e in $(seq 1 "$runs"); do
	id="crash-$e"
	answered=0
	pid=""
	deadline=$(($(date +%s) + 60))
	while :; do
		st=$(field "$id" 'd["execution"]["status"]')
		[ "$st" = complete ] && break
		[ "$st" = failed ] && { fail "$id failed: $(field "$id" '[(k, v["status"], v["reason"]) for k, v in t.items()]')"; break; }
		[ "$(date +%s)" -gt "$deadline" ] && { fail "$id: still $st after 60 s"; break; }
		if ! alive "$pid"; then
			[ -n "$pid" ] && wait "$pid" 2>/dev/null
			if [ "$st" = missing ]; then
				"$SEERUN" --id "$id" "$wf" >>"$work/runs.log" 2>&1 &
			else
				"$SEERUN" --continue "$id" >>"$work/runs.log" 2>&1 &
			fi
			pid=$!
			# the first process of each execution, and a quarter of the
			# others, is killed in its first milliseconds (so that every
			# execution is killed at least once, whatever the dice say)
			first=$([ "$st" = missing ] && [ -z "${started[$e]:-}" ] && echo 1 || echo 0)
			started[$e]=1
			if { [ "$first" = 1 ] || [ $((RANDOM % 4)) -eq 0 ]; } && [ $kills -lt $((runs * 6)) ]; then
				sleep "0.00$((RANDOM % 10))"
				kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
				continue
			fi
		fi
		if [ $answered -eq 0 ] && [ "$(field "$id" 't["ask"]["status"]')" = waiting-for-input ]; then
			"$SEECTL" resume "$id" ask --input "v$e" >/dev/null 2>>"$work/resume.err" && answered=1
			# just after a resume, now and then
			if [ $answered -eq 1 ] && [ $((RANDOM % 2)) -eq 0 ]; then
				sleep "0.0$((RANDOM % 10))"
				kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
				continue
			fi
		fi
		# while commands run or while it waits
		if [ $((RANDOM % 3)) -eq 0 ] && [ $kills -lt $((runs * 6)) ]; then
			rand_sleep 400
			kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
		else
			sleep 0.1
		fi
	done
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	# every command's output at least once, the answer used exactly once
	[ "$(field "$id" '"prepared-done" in t["prepare"]["logs"]')" = True ] || fail "$id: prepare's output is missing"
	[ "$(field "$id" '"side-done" in t["side"]["logs"]')" = True ] || fail "$id: side's output is missing"
	[ "$(field "$id" '"answer=v'"$e"'" in t["use"]["logs"]')" = True ] ||
		fail "$id: use did not see the answer: $(field "$id" 't["use"]["logs"]')"
	[ "$(field "$id" 't["ask"]["input_value"]')" = "v$e" ] || fail "$id: the answer is $(field "$id" 't["ask"]["input_value"]')"
	n=$("$SEECTL" history "$id" --json | grep -c '"action":"complete","execution_id":"'"$id"'","task_id":"ask"')
	[ "$n" = 1 ] || fail "$id: the answer was used $n times"
	n=$("$SEECTL" history "$id" --json | grep -c '"action":"resume-task"')
	[ "$n" = 1 ] || fail "$id: $n resumes recorded"
done
echo "seerun killed $kills times over $runs executions" >&2
[ $kills -ge "$runs" ] || fail "only $kills kills: the test did not test"
"$SEECTL" verify >"$work/verify" 2>&1 || fail "verify: $(cat "$work/verify")"
# the dashboard lived through it and shows them complete
sleep 1
$T capture-pane -p >"$work/screen"
grep -q "crash-" "$work/screen" || fail "the dashboard does not show the executions"
$T has-session 2>/dev/null || fail "the dashboard died"
pgrep -f 'echo answer=|sleep 0.3; echo side-done' >/dev/null && fail "a command outlived its engine"
[ $failures -eq 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }
exit 0
