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
finish
