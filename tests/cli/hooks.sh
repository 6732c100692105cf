#!/bin/sh
# hooks.sh - how the server runs notification commands: an operator's pause
# is the `paused` event, not `waiting`; a command's output goes through the
# server's log (and its rotation), its middle left out past a few KB; a
# command's whole process tree (setsid or not) is stopped at its time limit;
# and a new notification runs ahead of a backlog.
. "${SEETOP_TOP_SRCDIR:?}/tests/cli/lib.sh"
SEERUN=$top_builddir/cli/seerun
export SEESTORE_HOOK_TIMEOUT_MS=1500
status_field() { "$SEECTL" server status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# wait_for SECONDS CMD...: until CMD succeeds (a tenth of a second apart)
wait_for() {
	n=$(($1 * 10))
	shift
	while ! "$@" && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	"$@"
}
cat >"$work/note.sh" <<'SH'
#!/bin/sh
echo "$SEETOP_EVENT|$SEETOP_EXECUTION|$SEETOP_TASK|$SEETOP_PROMPT|$SEETOP_NOTIFICATION" >>"$1"
SH
chmod +x "$work/note.sh"
# executions: run1 runs its task t1; w1..w3 wait for an answer
{
	printf 'executions:\n- id: run1\n  workflow_name: Running\n  start_timestamp: 2024-12-19T10:00:00Z\n'
	printf '  status: running\n  tasks:\n  - {task_id: t1, status: in-progress, logs: []}\n'
} >"$work/run1.yaml"
for i in 1 2 3; do sed "s/test-waiting/w$i/" "$DATA/test-waiting.yaml" >"$work/w$i.yaml"; done
"$SEECTL" import "$work/run1.yaml" "$work/w1.yaml" "$work/w2.yaml" "$work/w3.yaml" >/dev/null || fail "import"

# ---- an operator's pause is `paused`; an input request is still `waiting` ----
run notify add --on paused -- "$work/note.sh" "$work/paused.out"
expect_rc 0 "notify add --on paused"
expect_out "runs on paused"
run notify add --on waiting -- "$work/note.sh" "$work/waiting.out"
expect_rc 0 "notify add --on waiting"
run pause run1 t1
expect_rc 0 "pause"
wait_for 10 test -s "$work/paused.out" || fail "no paused notification"
grep -q "^paused|run1|t1||[1-9][0-9]*$" "$work/paused.out" || fail "the paused notification: $(cat "$work/paused.out")"
"$SEERUN" --id wf "$DATA/workflows/approve.json" >/dev/null 2>&1 &
pid=$!
wait_for 10 grep -q "^waiting|wf|" "$work/waiting.out" || fail "no waiting notification for an input request"
grep -q "^waiting|wf|approve|Deploy to production?|[1-9][0-9]*$" "$work/waiting.out" || fail "the waiting notification: $(cat "$work/waiting.out")"
"$SEECTL" resume wf approve --input yes >/dev/null || kill "$pid"
wait $pid
grep -q "^waiting|run1" "$work/waiting.out" && fail "a pause fired the waiting hook"
grep -q "^paused|wf" "$work/paused.out" 2>/dev/null && fail "the input request fired the paused hook"
"$SEECTL" notify remove 1 >/dev/null && "$SEECTL" notify remove 2 >/dev/null || fail "notify remove"

# ---- a command's output goes through the server's log, cut in the middle ----
run notify add --on rejected -- sh -c 'echo first-line; seq 1 200000; echo last-line; echo to-stderr >&2'
expect_rc 0 "a hook that prints a lot"
hook=$(sed 's/^hook \([0-9]*\) .*/\1/' "$work/out")
before=$(cat "$SEETOP_HOME"/server.log* 2>/dev/null | wc -c)
"$SEECTL" reject w1 task1 --reason loud >/dev/null || fail "reject w1"
wait_for 20 grep -q "hook $hook output: to-stderr" "$SEETOP_HOME/server.log" || fail "the command's last output is not in server.log"
grep -q "hook $hook output: first-line$" "$SEETOP_HOME/server.log" || fail "the command's first line is not in server.log"
grep -q "hook $hook output: last-line$" "$SEETOP_HOME/server.log" || fail "the command's last line is not in server.log"
grep -q "hook $hook output: \[[0-9]* bytes left out\]$" "$SEETOP_HOME/server.log" || fail "no line says what was left out"
grown=$(cat "$SEETOP_HOME"/server.log* 2>/dev/null | wc -c)
grown=$((grown - before))
# 1.3 MB printed; a few KB kept
[ "$grown" -lt 65536 ] || fail "the command's output grew server.log by $grown bytes"
"$SEECTL" notify remove "$hook" >/dev/null || fail "notify remove $hook"

# ---- a command's whole tree is stopped at its time limit, setsid or not ----
n1=$((3000 + $$ % 997)) n2=$((4000 + $$ % 997))
gone() { ! pgrep -x -f "sleep $1" >/dev/null; }
"$SEECTL" notify add --on rejected -- sh -c "setsid sleep $n1 & sleep 60" >/dev/null || fail "add the setsid & hook"
"$SEECTL" notify add --on rejected -- setsid sh -c "sleep $n2; :" >/dev/null || fail "add the setsid sh hook"
"$SEECTL" reject w2 task1 --reason tree >/dev/null || fail "reject w2"
wait_for 5 pgrep -x -f "sleep $n1" >/dev/null || fail "the setsid & hook did not start: the test proves nothing"
wait_for 5 pgrep -x -f "sleep $n2" >/dev/null || fail "the setsid sh hook did not start: the test proves nothing"
sleep 0.5
gone "$n1" && fail "sleep $n1 ended before the time limit: the test proves nothing"
# the limit is 1.5 s, then SIGTERM, and SIGKILL 5 s later
wait_for 10 gone "$n1" || fail "a process a hook started with setsid ... & outlived the time limit"
wait_for 10 gone "$n2" || fail "a hook that is setsid sh -c outlived the time limit"
for p in $(pgrep -x -f "sleep $n1") $(pgrep -x -f "sleep $n2"); do kill "$p" 2>/dev/null; done
wait_for 10 test "$(status_field hooks_pending)" = 0 || fail "notifications pending: $(status_field hooks_pending)"
for id in $("$SEECTL" notify list | awk '{ print $1 }'); do "$SEECTL" notify remove "$id" >/dev/null; done

# ---- a new notification runs ahead of a backlog ----
python3 - "$work/backlog.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("executions:\n")
    for i in range(400):
        f.write(f"""- id: bk-{i:04d}
  workflow_name: Backlog
  start_timestamp: 2024-12-19T10:00:00Z
  status: waiting-for-input
  is_paused: true
  paused_task_id: t
  tasks:
  - {{task_id: t, status: waiting-for-input, input: {{prompt: "?", type: string}}}}
""")
PY
"$SEECTL" import "$work/backlog.yaml" >/dev/null || fail "import the backlog"
"$SEECTL" notify add --on cancelled -- sleep 1 >/dev/null || fail "add the slow hook"
"$SEECTL" notify add --on waiting -- "$work/note.sh" "$work/fresh.out" >/dev/null || fail "add the waiting hook"
"$SEECTL" cancel --all --workflow Backlog --reason backlog >/dev/null 2>&1 || fail "cancel the backlog"
# 400 notifications of a 1 s command, 4 at once: 100 s in order
[ "$(status_field hooks_pending)" -gt 300 ] || fail "no backlog: $(status_field hooks_pending) pending"
"$SEERUN" --id fresh "$DATA/workflows/approve.json" >/dev/null 2>&1 &
pid=$!
wait_for 10 test -s "$work/fresh.out" || fail "a new waiting notification waited behind the backlog"
left=$(status_field hooks_pending)
[ "$left" -gt 200 ] || fail "the backlog ran out ($left left): the test proves nothing"
wait_for 10 "$SEECTL" resume fresh approve --input yes >/dev/null 2>&1 || kill "$pid"
wait $pid
"$SEECTL" server stop >/dev/null
finish
