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
expect_not_screen "the last bulk action"
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
finish
