#!/usr/bin/env bash
# p, r (with an input value) and R change the store and the screen; a
# confirmation answered No changes nothing; a rejected value asks again.
. "$(dirname "$0")/lib.sh"
load_demo
start
expect_screen "deploy-prod-4821"

# r on the waiting approval: a bad value is refused and asked again
keys r
expect_screen "to production? (y/n)"
keys maybe Enter
expect_screen "input value 'maybe' of task 'approve' is not a boolean (true, false, yes or no)"
expect_screen "maybe"
expect_screen "to production? (y/n)"
keys C-u yes Enter
expect_screen "Resume task approve of deploy-prod-4821 with yes? [y/N]"
keys n
expect_screen "cancelled: nothing changed"
[ "$(json deploy-prod-4821 "['execution']['status']")" = waiting-for-input ] || fail "No still changed the store"
keys r
keys C-u yes Enter
keys y
expect_screen "resumed task approve of deploy-prod-4821"
[ "$(json deploy-prod-4821 "['execution']['status']")" = running ] || fail "r did not resume the execution"
[ "$(json deploy-prod-4821 "['tasks'][2]['input_value']")" = True ] || fail "r did not store the input value"
# running, and no engine will move it on (an imported execution)
expect_screen "? no engine         deploy-prod-4821"

# p pauses the selected task (the pending rollout, chosen in the tasks pane)
keys Tab Down
keys p
expect_screen "Pause task rollout of deploy-prod-4821? [y/N]"
keys y
expect_screen "paused task rollout of deploy-prod-4821"
[ "$(json deploy-prod-4821 "['execution']['paused_task_id']")" = rollout ] || fail "p did not pause rollout"

# R resumes the whole workflow
keys Escape
keys R
expect_screen "Resume every waiting task of deploy-prod-4821? [y/N]"
keys y
expect_screen "resumed deploy-prod-4821"
[ "$(json deploy-prod-4821 "['execution']['status']")" = running ] || fail "R did not resume the workflow"

# what the store would refuse is said at once, without a y/N first
keys R
expect_screen "execution 'deploy-prod-4821' is not waiting for input (status: running)"
expect_not_screen "[y/N]"
keys Tab g
keys p
expect_screen "task 'build' cannot be paused (status: complete)"
expect_not_screen "[y/N]"
keys Escape

# expect_line TEXT: a whole line of the screen is TEXT (trailing spaces are not captured)
expect_line() {
	for _ in $(seq 1 60); do
		screen | grep -qxF -- "$1" && return 0
		sleep 0.05
	done
	fail "no screen line is exactly '$1': $(screen | tail -3)"
}

# a number with its default pre-filled
keys n
expect_screen "Type the table name to confirm the migration"
keys n
expect_screen "input: How many replicas? (number, required, default 8)"
keys Tab
keys r
expect_screen "How many replicas? (number): 8"
# the default is selected: typing replaces it (it made 812 once)
keys 1 2
expect_screen "How many replicas? (number): 12"
# and the line edits: Ctrl-A and Ctrl-E (Home and End: tmux sends them in its own terminal's codes), Left, Backspace, Delete, Ctrl-W, Ctrl-U
keys C-a 9
expect_screen "How many replicas? (number): 912"
keys C-e BSpace
expect_screen "How many replicas? (number): 91"
keys Left DC
expect_line "How many replicas? (number): 9"
keys C-w 3 5 Left C-u
expect_line "How many replicas? (number): 5"
keys 1 Right 0 Enter y
expect_screen "resumed task replicas of scale-web-310"
[ "$(json scale-web-310 "['tasks'][1]['input_value']")" = 150 ] || fail "the number was not stored: $(json scale-web-310 "['tasks'][1]['input_value']")"
# R never skips a required answer: it asks for each in turn, then resumes
keys Escape
keys / 'migrate-orders' Enter
expect_screen "waiting-for-input migrate-orders-77"
keys R
expect_screen "Type the table name to confirm the migration:"
keys orders Enter
expect_screen "Resume every waiting task of migrate-orders-77 with the answers given? [y/N]"
keys y
expect_screen "resumed migrate-orders-77"
[ "$(json migrate-orders-77 "['execution']['status']")" = running ] || fail "R with an answer did not resume"
"$SEECTL" show migrate-orders-77 --json | grep -q '"input_value":"orders"' || fail "R did not store the answer"
# x rejects the selected waiting task with a reason; X cancels the execution
keys Escape
keys / 'release-train' Enter
expect_screen "waiting-for-input release-train-52"
keys x
expect_screen "Reason to reject it:"
keys Enter
expect_screen "a reason is required"
keys 'not this week' Enter
expect_screen "Reject task qa-signoff of release-train-52 (it fails)? [y/N]"
keys y
expect_screen "rejected task qa-signoff of release-train-52"
[ "$(json release-train-52 "['execution']['paused_task_id']")" = security-signoff ] ||
	fail "after a reject the execution does not wait on the next task"
keys X
expect_screen "Reason to cancel it:"
keys 'wrong train' Enter
expect_screen "Cancel release-train-52 (it and every task not ended fail)? [y/N]"
keys y
expect_screen "cancelled release-train-52"
[ "$(json release-train-52 "['execution']['status']")" = failed ] || fail "X did not cancel"
keys q
expect_screen "[exit 0]"
"$SEECTL" verify >/dev/null || fail "verify after the screen actions"
finish
