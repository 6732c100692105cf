#!/usr/bin/env bash
# Space marks executions as in htop; R, x and X then act on every marked one
# after one confirmation that says how many and what will be skipped, each in
# its own transaction; the status line sums it up and v shows each result.
. "$(dirname "$0")/lib.sh"
# mk ID START [DEFAULT]: a waiting execution (ids sort by start, newest first)
mk() {
	{
		printf 'executions:\n- id: %s\n  workflow_name: Bulk\n  start_timestamp: %s\n' "$1" "$2"
		printf '  status: waiting-for-input\n  is_paused: true\n  paused_task_id: t\n  tasks:\n'
		printf '  - {task_id: t, status: waiting-for-input, input: {prompt: "Go?", type: string, required: true'
		[ -n "${3:-}" ] && printf ', default: "%s"' "$3"
		printf '}}\n'
	} >"$work/$1.yaml"
	echo "$work/$1.yaml"
}
"$SEECTL" import "$(mk m4 2026-01-04T00:00:00Z yes)" "$(mk m3 2026-01-03T00:00:00Z)" "$(mk m2 2026-01-02T00:00:00Z ok)" \
	"$(mk m1 2026-01-01T00:00:00Z go)" >/dev/null || fail "import"
st() { json "$1" "['execution']['status']"; }
start
expect_screen "m4"
# mark the first three rows (m4, m3, m2): Space marks and moves down
keys Space Space Space
expect_screen "[marked 3]"
expect_screen "3 marked: R, x and X act on every marked execution"
screen | grep -q '^!\*waiting-for-input m4' || fail "a marked row does not show '*':
$(screen)"
screen | grep -q '^! waiting-for-input m1' || fail "an unmarked row shows a mark"
# R: one confirmation with the count and what is skipped; No changes nothing
keys R
expect_screen "Resume 2 executions? 1 waits for a required answer and will be skipped"
keys n
expect_screen "cancelled: nothing changed"
[ "$(st m4)" = waiting-for-input ] || fail "No resumed m4"
keys R
expect_screen "Resume 2 executions?"
keys y
expect_screen "resumed 2, skipped 1, refused 0 (v: the result of each)"
[ "$(st m4)" = running ] && [ "$(st m2)" = running ] || fail "R did not resume the marked: $(st m4) $(st m2)"
[ "$(st m3)" = waiting-for-input ] || fail "m3 needs an answer and was resumed"
[ "$(st m1)" = waiting-for-input ] || fail "m1 was not marked and was resumed"
expect_not_screen "[marked"
# v: the result of each
keys v
expect_screen "the last bulk action, 3 executions"
expect_screen "resumed m4"
expect_screen "skipped m3: task 't' waits for a required answer"
keys Escape
expect_gone "the last bulk action"
# x on marks: one reason for all, then one confirmation
keys g
keys Down Space Down Space
expect_screen "[marked 2]"
keys x
expect_screen "Reason to reject them:"
keys "end of quarter" Enter
expect_screen "Reject the waiting tasks of 2 executions?"
keys y
expect_screen "rejected 2, skipped 0, refused 0"
[ "$(json m3 "['tasks'][0]['status']")" = failed ] && [ "$(json m1 "['tasks'][0]['status']")" = failed ] ||
	fail "x did not reject the marked"
[ "$(json m1 "['tasks'][0]['reason']")" = "end of quarter" ] || fail "the reason: $(json m1 "['tasks'][0]['reason']")"
# Esc clears marks
keys g Space
expect_screen "[marked 1]"
keys Escape
expect_screen "marks cleared"
expect_not_screen "[marked"

# A large bulk action runs a slice at a time between keys: the screen stays
# live, Esc stops it, what was done stays done and the rest stays marked.
N=600
python3 - "$N" >"$work/many.yaml" <<'PY'
import sys
print("executions:")
for i in range(int(sys.argv[1])):
    print(f"- id: b{i:04d}\n  workflow_name: Many\n  start_timestamp: 2026-02-01T00:{i // 60:02d}:{i % 60:02d}Z")
    print("  status: waiting-for-input\n  is_paused: true\n  paused_task_id: t\n  tasks:")
    print('  - {task_id: t, status: waiting-for-input, input: {prompt: "Go?", type: string, default: "yes"}}')
PY
"$SEECTL" import "$work/many.yaml" >/dev/null || fail "import of $N executions"
start
expect_screen "b0599"
space=()
for _ in $(seq "$N"); do space+=(Space); done
$T send-keys "${space[@]}"
expect_screen "[marked $N]" 30
$T send-keys R
expect_screen "Resume $N executions?" 10
$T send-keys y Escape
expect_screen "stopped after " 10
line=$(screen | grep -o 'stopped after [0-9]* of [0-9]*: resumed [0-9]*, skipped 0, refused 0; [0-9]* not done, still marked')
done1=$(echo "$line" | sed 's/.*: resumed \([0-9]*\),.*/\1/')
left=$(echo "$line" | sed 's/.*; \([0-9]*\) not done.*/\1/')
[ -n "$line" ] && [ "$done1" -gt 0 ] && [ "$left" -gt 0 ] && [ $((done1 + left)) -eq "$N" ] ||
	fail "Esc did not stop the bulk action midway: '$line'
$(screen)"
expect_screen "[marked $left]"
running=$("$SEECTL" list --status running | grep -c ' b0')
[ "$running" = "$done1" ] || fail "the screen says $done1 resumed, the store has $running running"
# R again does the rest, and none twice
$T send-keys R
expect_screen "Resume $left executions?" 10
$T send-keys y
expect_screen "resumed $left, skipped 0, refused 0" 30
[ "$("$SEECTL" list --status running | grep -c ' b0')" = "$N" ] || fail "not all $N were resumed"
twice=$("$SEECTL" history --limit 0 --json | grep '"resume-workflow"' | grep -o '"execution_id":"b[0-9]*"' | sort | uniq -d | head -3)
[ -z "$twice" ] || fail "resumed twice: $twice"
events=$("$SEECTL" history --limit 0 --json | grep '"action":"resume-workflow"' | grep -c '"execution_id":"b')
[ "$events" = "$N" ] || fail "$events resume events for $N executions"

# A stopped store server (Ctrl-Z) ends the bulk action at its first call,
# after the call's time limit, instead of one wait per execution: the rest
# stays marked, and R does it once the server runs again.
python3 - >"$work/more.yaml" <<'PY'
print("executions:")
for i in range(50):
    print(f"- id: c{i:04d}\n  workflow_name: More\n  start_timestamp: 2026-03-01T00:00:{i:02d}Z")
    print("  status: waiting-for-input\n  is_paused: true\n  paused_task_id: t\n  tasks:")
    print('  - {task_id: t, status: waiting-for-input, input: {prompt: "Go?", type: string, default: "yes"}}')
PY
"$SEECTL" import "$work/more.yaml" >/dev/null || fail "import of 50 more"
keys g
expect_screen "c0049"
space=()
for _ in $(seq 50); do space+=(Space); done
$T send-keys "${space[@]}"
expect_screen "[marked 50]" 10
$T send-keys R
expect_screen "Resume 50 executions?" 10
spid=$(head -1 "$SEETOP_HOME/server.lock")
kill -STOP "$spid"
$T send-keys y
expect_screen "stopped after 0 of 50: resumed 0, skipped 0, refused 0; 50 not done, still marked: the store server" 10
expect_screen "[marked 50]"
kill -CONT "$spid"
# the request in flight when the server stopped may have been done since
$T send-keys R
wait_for "Resume 50 executions?" 10 || expect_screen "Resume 49 executions? 1 does not wait and will be skipped"
$T send-keys y
wait_for "resumed 50, skipped 0, refused 0" 30 || expect_screen "resumed 49, skipped 1, refused 0"
[ "$("$SEECTL" list --status running | grep -c ' c0')" = 50 ] || fail "not all 50 were resumed after the server went on"
finish
