#!/usr/bin/env bash
# Ids are never cut when stdout is not a terminal: a 60-character id comes out
# whole from list, paused, history and show's events into a pipe; on a
# terminal the columns are cut, and -w (--wide) keeps them whole there too.
. "$(dirname "$0")/lib.sh"

id=resize-pool-20261207T010153-e20795-canary-eu-west-1-abcdefgh
[ ${#id} -eq 60 ] || fail "the test id is ${#id} characters, not 60"
cat >"$work/long.yaml" <<YAML
executions:
  - id: $id
    workflow_name: "Resize the worker pool of the canary region in eu-west-1"
    start_timestamp: 2026-11-25T15:00:00Z
    end_timestamp: null
    status: waiting-for-input
    is_paused: true
    paused_task_id: approve-the-new-size
    tasks:
      - task_id: approve-the-new-size
        task_name: "Approve"
        status: waiting-for-input
        start_timestamp: "2026-11-25T15:00:00Z"
        end_timestamp: ""
        input: {prompt: "Resize?", type: boolean, required: true}
YAML
run import "$work/long.yaml"
expect_rc 0 "import an execution with a 60-character id"

for args in "list" "paused" "history" "show $id"; do
	# shellcheck disable=SC2086
	"$SEECTL" $args | cat >"$work/out"
	grep -qF -- "$id" "$work/out" || fail "seectl $args | cat cut the id: $(grep -F resize "$work/out")"
	grep -qF -- "approve-the-new-size" "$work/out" || [ "$args" = list ] || [ "$args" = history ] ||
		fail "seectl $args | cat cut the task id"
done
"$SEECTL" paused | grep -q -- "$id" || fail "seectl paused | grep ID finds nothing"
# the events table of show and history, not only the header of show
for args in "history" "show $id"; do
	# shellcheck disable=SC2086
	"$SEECTL" $args | grep -qE -- "^  [0-9]+ .* import +$id " || fail "seectl $args | cat cut the id in its events table"
done

# On a terminal (script gives seectl a pty) the id column is cut with an ellipsis...
command -v script >/dev/null || fail "script (bsdutils) is needed to give seectl a terminal"
script -qec "$SEECTL list" /dev/null >"$work/tty" </dev/null
grep -qF -- "$id" "$work/tty" && fail "on a terminal, list did not cut a 60-character id"
grep -q "resize-pool-2026.*…" "$work/tty" || fail "on a terminal, the cut id does not end in …: $(cat "$work/tty")"
# ...and -w or --wide keeps it whole
for w in -w --wide; do
	script -qec "$SEECTL list $w" /dev/null >"$work/tty" </dev/null
	grep -qF -- "$id" "$work/tty" || fail "list $w on a terminal cut the id: $(cat "$work/tty")"
	script -qec "$SEECTL $w paused" /dev/null >"$work/tty" </dev/null
	grep -qF -- "$id" "$work/tty" || fail "$w paused on a terminal cut the id"
done

# On a terminal the rows of list and paused fit its width (they were 103
# columns, so each wrapped at 80): the workflow name, the free text, is cut
# to what is left, and the prompt under paused too; ids are not cut below
# their column (24; -w keeps them whole).  show's task rows (85) too, and
# the events of history and show (150: microsecond times and every column),
# whose change is cut to what is left.
run import "$DATA/test-waiting.yaml"
expect_rc 0 "import test-waiting"
run deadline test-waiting task1 1h
expect_rc 0 "a deadline: an event with a task"
for cols in 80 100; do
	for args in "list" "paused" "show test-waiting" "history" "history test-waiting"; do
		script -qec "stty cols $cols; $SEECTL $args" /dev/null >"$work/tty" </dev/null
		python3 - "$work/tty" "$cols" "$args" <<'PY' || failures=$((failures + 1))
import re, sys, unicodedata
lines = open(sys.argv[1], encoding="utf-8").read().replace("\r", "").splitlines()
cols = int(sys.argv[2])
show = sys.argv[3].startswith("show")
history = sys.argv[3].startswith("history")
if show:  # its task rows and its events
    lines = [l for l in lines if re.match(r"  [a-z-]+ +task1 ", l) or re.match(r"  [0-9]+ ", l)]
if (show or history) and not any(re.match(r"  [0-9]+ +12-0|  [0-9]+ +[0-9]{2}-[0-9]{2} [0-9:]{8} .*deadline +(test-waiting +)?task1 ", l) for l in lines):
    print(f"FAIL: seectl {sys.argv[3]} at {cols} columns: no deadline event of task1 with its ids whole: {lines}", file=sys.stderr)
    sys.exit(1)
width = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
bad = [l for l in lines if width(l) > cols]
for l in bad:
    print(f"FAIL: seectl {sys.argv[3]} on a terminal of {cols} columns: a line of {width(l)}: {l}", file=sys.stderr)
if not lines or not show and not any("test-waiting  " in l for l in lines) and sys.argv[3] != "history test-waiting":
    print(f"FAIL: seectl {sys.argv[3]} at {cols} columns cut the id test-waiting: {lines}", file=sys.stderr)
    bad = True
sys.exit(1 if bad else 0)
PY
	done
done
script -qec "stty cols 80; $SEECTL paused" /dev/null >"$work/tty" </dev/null
grep -q "test-waiting  *Test.*…  2024-12-19T10:00:00Z" "$work/tty" || fail "at 80 columns the workflow name is not cut with …: $(cat "$work/tty")"
grep -q "task1 .*Approve the de.*… (boolean, required)" "$work/tty" || fail "at 80 columns the prompt is not cut: $(cat "$work/tty")"
script -qec "stty cols 200; $SEECTL paused" /dev/null >"$work/tty" </dev/null
grep -qF "Test Waiting Workflow" "$work/tty" || fail "at 200 columns the workflow name was cut: $(cat "$work/tty")"
grep -qF "Approve the deployment? (boolean, required)" "$work/tty" || fail "at 200 columns the prompt was cut"
# the history's 60-character id is cut on a terminal, whole with -w
script -qec "stty cols 80; $SEECTL history" /dev/null >"$work/tty" </dev/null
grep -qF -- "$id" "$work/tty" && fail "on a terminal, history did not cut a 60-character id"
grep -q "import  *resize-pool-20.*…" "$work/tty" || fail "on a terminal, history's cut id does not end in …: $(cat "$work/tty")"
script -qec "stty cols 80; $SEECTL -w history" /dev/null >"$work/tty" </dev/null
grep -qF -- "$id" "$work/tty" || fail "history -w on a terminal cut the id"
grep -qE "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z" "$work/tty" || fail "history -w on a terminal lost the microseconds"
finish
