#!/usr/bin/env bash
# The operator's day (issue 22), at 200x50 and 80x24 with a fixed clock:
# ids as wide as they need and cut at their start; y copies the whole id;
# a failed task and execution say why; ages as htop gives them; at 80x24
# the tasks take their rows, detail lines end in an ellipsis, fields never
# run together, and a filter drops the home before the counts.
. "$(dirname "$0")/lib.sh"
load_demo
clock=2030-01-01T12:00:00Z
long1=resize-pool-of-the-eu-west-1-web-tier-20261207T010153-e20795
long2=resize-pool-of-the-eu-west-1-web-tier-20261207T010153-e31442
[ ${#long1} -eq 60 ] || fail "test data: the long id is ${#long1} characters"
cat >"$work/long.yaml" <<YAML
executions:
  - id: $long1
    workflow_name: Resize pool
    start_timestamp: 2030-01-01T11:54:48Z
    status: running
    tasks:
      - {task_id: t1, status: in-progress}
  - id: $long2
    workflow_name: Resize pool
    start_timestamp: 2030-01-01T11:59:18Z
    status: running
    tasks:
      - {task_id: t1, status: in-progress}
YAML
"$SEECTL" import "$work/long.yaml" >/dev/null || fail "importing long ids"
"$SEECTL" reject release-train-52 qa-signoff --reason "QA found a blocker" >/dev/null || fail "seectl reject"
"$SEECTL" cancel migrate-orders-77 --reason "not today" >/dev/null || fail "seectl cancel"
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause"
# an imported execution (no engine) resumed: nothing will move it on
"$SEECTL" resume scale-web-310 replicas --input 5 >/dev/null || fail "seectl resume"
export START_ENV="SEETOP_CLOCK=$clock"

# 200x50: whole ids, the workflow after them
W=200 H=50 start
expect_screen "$long1"
expect_screen "$long2"
screen | grep -F "$long1" | grep -q "Resize pool" || fail "the workflow is not beside the whole id"
# ages: 5m12s and 42s at the fixed clock; days as before
screen | grep -F "$long1" | grep -qE " 5m12s +0/1" || fail "age of a 312 s old execution: $(screen | grep -F "$long1")"
screen | grep -F "$long2" | grep -qE " 42s +0/1" || fail "age of a 42 s old execution: $(screen | grep -F "$long2")"
# a failed execution says which task failed it; the task says why
expect_screen "failed: confirm"
expect_screen "? no engine         scale-web-310"
expect_screen "> running           invoice-run-11"  # imported and running, nothing decided: as before
keys / release Enter Tab
expect_screen "qa-signoff"
screen | grep "failed  *qa-signoff" | grep -q "QA found a blocker" || fail "the failed task's row lacks its reason:
$(screen)"
# the detail shows why first, then the whole id
keys Up
expect_screen "DETAIL qa-signoff"
detail_first=$(screen | sed -n '/DETAIL qa-signoff/{n;p;q}')
echo "$detail_first" | grep -q "why: QA found a blocker" || fail "the detail does not start with why: '$detail_first'
$(screen)"
expect_screen "execution release-train-52  Weekly release train"
# paused is not waiting: the header counts it apart, w lists both, marked apart
screen | head -1 | grep -q "waiting 4 (1 paused)" || fail "the header does not count the paused execution: $(screen | head -1)"
keys Escape Escape Escape w
expect_screen "= paused            nightly-etl-1190"
expect_screen "! waiting-for-input deploy-prod-4821"
keys q
expect_screen "[exit 0]"

# y copies the selected id with OSC 52 (tmux keeps it as a buffer) and says it
W=200 H=50 start
$T set -g set-clipboard on
keys / e20795 Enter
expect_screen "$long1"
keys y
expect_screen "copied (OSC 52): $long1"
# (seetop writes the OSC 52 after the frame that says so)
for _ in $(seq 30); do [ "$($T show-buffer 2>/dev/null)" = "$long1" ] && break; sleep 0.1; done
[ "$($T show-buffer 2>/dev/null)" = "$long1" ] || fail "OSC 52 did not reach the terminal's clipboard: '$($T show-buffer 2>&1)'"
keys q

# 80x24: the ids are cut at their start, keeping what tells them apart
W=80 H=24 start
for id in "$long1" "$long2"; do
	expect_screen "${id: -8} "
	screen | grep -F "${id: -8} " | grep -qE "^. running +…[^ ]*${id: -8} " ||
		fail "the cut id does not start with an ellipsis: $(screen | grep -F "${id: -8}")"
done
if screen | grep -E "^. running " | grep -qF "${long1:0:20}"; then fail "an id row keeps the id's start at 80 columns:
$(screen)"; fi
# the task pane takes the rows its tasks need: release-train-52's 5 tasks
keys / release Enter Tab
wait_for " changelog " 5 # (the search's answer, drawn)
for t in changelog qa-signoff security-signoff notes publish; do
	screen | grep -q " $t " || fail "at 80x24 task '$t' is hidden:
$(screen)"
done
# fields never run together: a space before the position (changelog's
# title holds two whole times, as long as the pane is wide)
keys Up Up
expect_screen "DETAIL changelog"
screen | grep "DETAIL changelog" | grep -qE " [0-9]+-[0-9]+/[0-9]+$" ||
	fail "the detail title runs into its position: $(screen | grep DETAIL)"
# a filter on: the header drops the home before the counts
head1=$(screen | head -1)
echo "$head1" | grep -q "waiting [0-9]" || fail "the header lost the waiting count: $head1"
echo "$head1" | grep -q "\[/release\]" || fail "the header lost the filter: $head1"
echo "$head1" | grep -qE '\[/release\] *$' || fail "the header keeps (a part of) the home with a filter on: $head1"
# detail lines cut with an ellipsis: the whole id is longer than 80 columns
keys Escape Escape Escape / e20795 Enter
expect_screen "  execution resize-pool-"
screen | grep "  execution resize-pool-" | grep -q "…$" || fail "the cut detail line does not end in an ellipsis:
$(screen)"
# the help says that Space moves down
keys Escape Escape Escape '?'
expect_screen "mark or unmark the execution and move down"
keys q q
expect_screen "[exit 0]"

# filters and sorting, kept in the config with remember_view: true
printf 'remember_view: true\n# the operator'"'"'s own line stays\nconfirm: true\n' >"$SEETOP_CONFIG"
unset START_ENV
start
expect_screen "deploy-prod-4821"
keys f
expect_screen "[waiting only]"
expect_screen "= paused            nightly-etl-1190"
keys f
expect_screen "[paused only]"
expect_screen "= paused            nightly-etl-1190"
expect_not_screen "deploy-prod-4821"
keys f
expect_screen "[running only]"
expect_not_screen "nightly-etl-1190"
keys f
expect_screen "[failed only]"
expect_screen "failed: confirm"
expect_not_screen "invoice-run-11"
keys f
expect_screen "[complete only]"
keys f
expect_gone " only]"
# s: started, age, deadline, status, workflow; S reverses
keys s
expect_screen "[by age]"
first_row() { screen | sed -n 3p | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /-[0-9]+$/) { print $i; exit } }'; }
keys s s s
expect_screen "[by workflow]"
[ "$(first_row)" = "cleanup-tmp-302" ] || fail "by workflow, 'Clean temporary files' is not first: $(screen | sed -n 3p)"
keys S
expect_screen "[by workflow, reversed]"
[ "$(first_row)" = "report-weekly-48" ] || fail "reversed, 'Weekly usage report' is not first: $(screen | sed -n 3p)"
keys f f f
expect_screen "[running only]"
keys q
expect_screen "[exit 0]"
grep -q '^view_filter: running$' "$SEETOP_CONFIG" || fail "the filter was not kept: $(cat "$SEETOP_CONFIG")"
grep -q '^view_sort: "-workflow"$' "$SEETOP_CONFIG" || fail "the sort was not kept: $(cat "$SEETOP_CONFIG")"
grep -q "the operator's own line stays" "$SEETOP_CONFIG" || fail "the config lost a line: $(cat "$SEETOP_CONFIG")"
start
expect_screen "[running only]  [by workflow, reversed]"
keys q
printf 'remember_view: true\nview_sort: sideways\n' >"$SEETOP_CONFIG"
"$SEETOP" -b >/dev/null 2>"$work/err"; rc=$?
[ "$rc" -eq 2 ] || fail "a bad view_sort exits $rc, not 2"
grep -q "^seetop: $SEETOP_CONFIG: view_sort 'sideways' is not one of started, age, deadline, status, workflow" "$work/err" ||
	fail "a bad view_sort: $(cat "$work/err")"
printf 'confirm: true\n' >"$SEETOP_CONFIG"

# the workflow filter matches a substring in any case
start
keys / DEPLOY Enter
expect_screen "deploy-prod-4821"
expect_screen "deploy-staging-4820"
expect_gone "nightly-etl-1190" # (both deploys showed before the filter too)
keys Escape

# / in the detail pane searches the log; n and N go to the next and previous match
keys / deploy-prod Enter Tab
keys Up Up
expect_screen "DETAIL build"
keys Tab g / billing Enter
expect_screen "'billing': log line 7 of 40"
screen | sed -n '/DETAIL build/{n;p;q}' | grep -q "\[006\] compiling module billing" || fail "the match is not the first line shown:
$(screen)"
keys n
expect_screen "'billing': log line 17 of 40"
keys N
expect_screen "'billing': log line 7 of 40"
keys / nowhere Enter
expect_screen "'nowhere' is not in the log of task 'build'"
# an old error goes when a question is asked
keys Escape Down Down
expect_screen "DETAIL approve"
keys p
expect_screen "task 'approve' cannot be paused"
keys r
expect_screen "to production? (y/n)"
expect_not_screen "cannot be paused"
keys Escape
keys q
finish
