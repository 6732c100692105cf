#!/usr/bin/env bash
# seectl paused tells an operator's pause apart from a task that asks a
# question: "paused: TASK by USER at TIME, no input asked" against "waits for
# an answer: TASK PROMPT".
. "$(dirname "$0")/lib.sh"

run import "$top_srcdir/assets/demo.yaml"
expect_rc 0 "import the demo"
run --actor alice pause nightly-etl-1190 load
expect_rc 0 "pause a pending task"
expect_out "paused task load of nightly-etl-1190: it asks nothing and waits until resumed"

run paused
expect_rc 0 "paused"
grep -A1 '^waiting-for-input *nightly-etl-1190 ' "$work/out" | tail -1 >"$work/line"
grep -Eq '^    paused: +load +by alice \(user [^)]+\) at 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z, no input asked$' "$work/line" ||
	fail "the pause does not say who and when: $(cat "$work/line")"
expect_no_out "waits for an answer: load"
grep -A1 '^waiting-for-input *deploy-prod-4821 ' "$work/out" | tail -1 >"$work/line"
grep -Eq '^    waits for an answer: approve +Approve the deployment of api v4\.21\.0 to production\? \(boolean, required\)$' \
	"$work/line" || fail "a question does not read as one: $(cat "$work/line")"
# the release train asks three questions and has no pause among them
[ "$(grep -c '^    waits for an answer: ' "$work/out")" -eq 7 ] || fail "not 7 questions: $(cat "$work/out")"
[ "$(grep -c '^    paused: ' "$work/out")" -eq 1 ] || fail "not 1 pause: $(cat "$work/out")"

# the same in JSON: which tasks ask, which an operator paused
run paused --json
expect_rc 0 "paused --json"
grep '"id":"nightly-etl-1190"' "$work/out" | grep -q '"waits_for_answer":\[\],"paused_by_operator":\["load"\]' ||
	fail "paused --json does not name the operator's pause: $(grep nightly-etl-1190 "$work/out")"
grep '"id":"deploy-prod-4821"' "$work/out" | grep -q '"waits_for_answer":\["approve"\],"paused_by_operator":\[\]' ||
	fail "paused --json does not name the question: $(grep deploy-prod-4821 "$work/out")"
# an imported execution (no engine) answered: nothing will move it, and show says so
run show deploy-prod-4821
expect_no_out "no engine"
run resume deploy-prod-4821 approve --input true
expect_rc 0 "answer deploy-prod-4821"
run show deploy-prod-4821
expect_out "?          no engine: nothing will move it after the last decision"
# ages as htop and k9s give them, the same in seectl and seetop
for at in "2026-11-25T15:00:42Z 42s" "2026-11-25T15:05:12Z 5m12s" "2026-11-25T18:00:00Z 3h" "2026-12-07T15:00:00Z 12d"; do
	set -- $at
	SEETOP_CLOCK=$1 run list
	grep "^[a-z-]* *deploy-prod-4821 " "$work/out" | grep -Eq " $2( |$)" || fail "the age at $1 is not $2: $(grep deploy-prod-4821 "$work/out")"
done
finish
