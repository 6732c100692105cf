#!/usr/bin/env bash
# An engine killed in front of a dashboard: its rows say so without a key
# and without a commit.  seerun drives an execution that the operator
# answered while the engine was stopped (SIGSTOP: attached, not moving); the
# dashboard shows it running; kill -9 of the engine ends its lease (the
# server pushes the row, at the same generation), and within about a second
# the row reads "no engine", and another one, running a command, "running,
# detached".
. "$(dirname "$0")/lib.sh"
SEERUN=$top_builddir/cli/seerun
engines=""
trap 'for p in $engines; do for k in $(pgrep -P "$p" 2>/dev/null); do kill -9 "$k" 2>/dev/null; done; kill -9 "$p" 2>/dev/null; done; $T kill-server 2>/dev/null; rm -rf "$work"' EXIT
cat >"$work/hold.json" <<'EOF'
{"id": "hold", "name": "Hold",
 "tasks": [{"id": "q", "name": "Q", "function": {"name": "user_input",
            "input": {"prompt": "Go?", "input_type": "boolean", "required": true}},
            "next_tasks": [{"id": "work", "name": "Work",
                            "function": {"name": "cli_command", "input": {"command": "sleep", "args": ["120"]}}}]}]}
EOF
# status EXEC TASK: the task's status
status() { json "$1" "['tasks'][[t['task_id'] for t in d['tasks']].index('$2')]['status']" 2>/dev/null; }
"$SEERUN" --id held "$work/hold.json" >/dev/null 2>"$work/held.err" &
held=$!
"$SEERUN" --id busy "$work/hold.json" >/dev/null 2>"$work/busy.err" &
busy=$!
engines="$held $busy"
for _ in $(seq 100); do
	[ "$(status held q)" = waiting-for-input ] && [ "$(status busy q)" = waiting-for-input ] && break
	sleep 0.1
done
kill -STOP "$held"
"$SEECTL" resume held q --input true >/dev/null || fail "resume held"
"$SEECTL" resume busy q --input true >/dev/null || fail "resume busy"
for _ in $(seq 100); do [ "$(status busy work)" = in-progress ] && break; sleep 0.1; done
start -r
expect_screen "> running           held" 5
expect_screen "> running           busy" 5
sleep 1 # a few frames: the rows stay as they are while nothing happens
# the engine first, then its command (which would otherwise fail its task: a commit)
kids=$(pgrep -P "$busy")
kill -9 "$held" "$busy"
for k in $kids; do kill -9 "$k"; done
expect_screen "? no engine         held" 2
expect_screen "? running, detached busy" 2
keys q

# an engine of 100 executions killed: the push names more than the 64 ids
# a push carries, so it says "all", and the dashboard reads its list again
"$top_builddir/tests/tools/attach_many" "$SEETOP_HOME" many 100 >"$work/many.out" 2>"$work/many.err" &
many=$!
engines="$engines $many"
for _ in $(seq 1 200); do grep -q ready "$work/many.out" && break; sleep 0.1; done
grep -q ready "$work/many.out" || fail "attach_many did not start its executions: $(cat "$work/many.err")"
start -r
# (their ids are 120 bytes: a row shows the end of one, and its workflow)
attached_rows() { screen | grep -c "^> running .* Many "; }
for _ in $(seq 1 50); do [ "$(attached_rows)" -gt 5 ] && break; sleep 0.1; done
[ "$(attached_rows)" -gt 5 ] || fail "the dashboard does not show the 100 attached executions: $(screen)"
sleep 1
kill -9 "$many"
for _ in $(seq 1 30); do [ "$(attached_rows)" -eq 0 ] && break; sleep 0.1; done
[ "$(attached_rows)" -eq 0 ] || fail "3 s after the kill of the engine of 100 executions, rows still read attached: $(screen)"
expect_screen "? running, detached" 1
finish
