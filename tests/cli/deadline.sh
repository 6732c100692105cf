#!/bin/sh
# deadline.sh - deadlines on input requests: the server's timer applies the
# policy with no client connected, as the actor "timer", within a second of
# the deadline; a later answer is refused; an overdue deadline is applied
# when the server starts again, dated at the deadline; a pending deadline
# keeps the server from exiting for idleness; workflow files carry
# timeout/on_timeout; paused orders by deadline; bad input is refused.
. "${SEETOP_TOP_SRCDIR:?}/tests/cli/lib.sh"
SEERUN=$top_builddir/cli/seerun
WF=$DATA/workflows
export SEESTORE_SERVER_IDLE_S=1

# us TIME: microseconds since the epoch of an RFC 3339 time
us() { python3 -c 'import sys,datetime; t=sys.argv[1].rstrip("Z"); f="%Y-%m-%dT%H:%M:%S.%f" if "." in t else "%Y-%m-%dT%H:%M:%S"; print(int(datetime.datetime.strptime(t, f).replace(tzinfo=datetime.timezone.utc).timestamp()*1e6))' "$1"; }
# field EXEC TASK KEY: a task's field (or its input's) from show --json
field() {
	"$SEECTL" show "$1" --json >"$work/f.json"
	python3 - "$work/f.json" "$2" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = next(t for t in d["tasks"] if t["task_id"] == sys.argv[2])
k = sys.argv[3]
v = t[k] if k in t else (t["input"] or {}).get(k)
print(v)
PY
}
# event EXEC ACTION KEY: a field of the newest event with that action
event() {
	"$SEECTL" history "$1" --json | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if e["action"] == sys.argv[1]:
        print(e[sys.argv[2]]); break' "$2" "$3"
}
server_pid() { "$SEECTL" server status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'; }

# three waiting executions, no engine
for i in 1 2 3; do
	sed "s/test-waiting/w$i/; s/2024-12-19T10:00:00Z/2024-12-19T10:0$i:00Z/g" "$DATA/test-waiting.yaml" >"$work/w$i.yaml"
done
run import "$work/w1.yaml" "$work/w2.yaml" "$work/w3.yaml"
expect_rc 0 "import three waiting executions"

# ---- bad input ----
run deadline w1 task1 soon
expect_rc 2 "a bad duration"
expect_err "bad duration 'soon'"
# a negative duration is a value, refused by name (getopt took -5m for the
# options -5 and -m, and named the task as the unknown option); -- works too
for args in "w1 task1 -5m" "w1 task1 -- -5m" "w1 task1 -90s" "w1 task1 -1h30m"; do
	# shellcheck disable=SC2086
	run deadline $args
	expect_rc 2 "deadline $args"
	expect_err "seectl: deadline: bad duration '-"
	expect_one_line
done
run deadline w1 task1 -5m --on-timeout default
expect_rc 2 "a negative duration before an option"
expect_err "seectl: deadline: bad duration '-5m': such as 90s"
expect_one_line
run deadline w1 task1 -- -5m
expect_err "seectl: deadline: bad duration '-5m'"
run logs w1 task1 --tail -5
expect_rc 2 "a negative --tail"
expect_err "bad value '-5' for --tail"
run list -x5
expect_err "list: unknown option '-x'"
run deadline w1 task1 15m --on-timeout later
expect_rc 2 "a bad policy"
expect_err "fail, default or skip"
run deadline w1 task1 15m --on-timeout skip
expect_rc 1 "skip on a required answer"
expect_err "requires an answer: on-timeout 'skip'"
run deadline w1 task1 15m --on-timeout default
expect_rc 1 "default without a default"
expect_err "has no default"
run deadline w1 nope 15m
expect_rc 1 "an unknown task"
run --read-only deadline w1 task1 15m
expect_rc 1 "read-only"

# ---- paused: soonest deadline first, and the time left ----
run deadline w2 task1 7d
expect_rc 0 "deadline w2 7d"
run deadline w3 task1 2h
expect_rc 0 "deadline w3 2h"
expect_out "then fail"
run paused
expect_rc 0 "paused"
order=$(grep -o '^waiting-for-input *w[0-9]' "$work/out" | awk '{print $2}' | tr '\n' ' ')
[ "$order" = "w3 w2 w1 " ] || fail "paused is not ordered by deadline: $order"
# 2h, or 119m once a second has passed (a busy machine)
grep -qE '\((2h|119m) left\), then fail' "$work/out" || fail "paused lacks the time left: $(cat "$work/out")"
run paused --json
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["id"] for r in rows] == ["w3", "w2", "w1"], [r["id"] for r in rows]
assert rows[0]["deadline"] and rows[2]["deadline"] is None
assert rows[0]["waiting"][0]["input"]["on_timeout"] == "fail"
' "$work/out" || fail "paused --json"
run deadline w2 task1 none
expect_rc 0 "remove a deadline"
[ "$(field w2 task1 deadline)" = None ] || fail "the deadline was not removed"

# ---- the timer, with no client connected: fail ----
run deadline w1 task1 2s
expect_rc 0 "deadline w1 2s"
due=$(field w1 task1 deadline)
pid=$(server_pid)
sleep 3.2   # no client: the idle limit is 1 s, a pending deadline keeps the server
[ "$(server_pid)" = "$pid" ] || fail "the server exited for idleness with a deadline pending"
[ "$(field w1 task1 status)" = failed ] || fail "the deadline did not fail the task: $(field w1 task1 status)"
[ "$(event w1 timeout actor)" = timer ] || fail "the timeout's actor: $(event w1 timeout actor)"
[ "$(event w1 timeout user)" = None ] || fail "the timer has no Unix user: $(event w1 timeout user)"
late=$(( $(us "$(event w1 timeout time)") - $(us "$due") ))
[ "$late" -eq 0 ] || fail "the timeout is not dated at the deadline ($late us)"
# accuracy: the server applied it within a second of the deadline, with no client connected
applied=$(grep "the timer applied" "$SEETOP_HOME/server.log" | head -1 | cut -d' ' -f1)
[ -n "$applied" ] || fail "server.log does not say the timer applied the deadline"
lag=$(( $(us "$applied") - $(us "$due") ))
[ "$lag" -ge 0 ] && [ "$lag" -lt 1000000 ] || fail "the 2 s deadline was applied $lag us after it passed"
echo "deadline applied $((lag / 1000)) ms after it passed" >&2
# the engine-free execution runs on, the reason says why
case $(field w1 task1 reason) in "no answer by the deadline $due (on timeout: fail)") ;; *) fail "reason: $(field w1 task1 reason)" ;; esac
run resume w1 task1 --input yes
expect_rc 1 "an answer after the timer"
expect_err "someone, or its deadline's timer, acted first"
# the person who set the deadline is recorded with their Unix user
[ "$(event w1 deadline user)" = "$(id -un)" ] || fail "the deadline event's user: $(event w1 deadline user)"

# ---- overdue at start: applied when the server starts, dated at the deadline ----
run deadline w3 task1 1s
due=$(field w3 task1 deadline)
"$SEECTL" server stop >/dev/null
# a server that stops with a deadline pending: nothing is applied while it is down
sleep 2
[ -e "$SEETOP_HOME/server.sock" ] && fail "the server still runs"
[ "$(field w3 task1 status)" = failed ] || fail "overdue at start: $(field w3 task1 status)"
[ "$(event w3 timeout time)" = "$due" ] || fail "overdue at start: dated $(event w3 timeout time), not $due"

# ---- a workflow file's timeout with on_timeout default: seerun goes on with the default ----
start_ms=$(($(date +%s%N) / 1000000))
timeout 20 "$SEERUN" --id dl "$WF/deadline.json" >"$work/dl.out" 2>"$work/dl.err"
rc=$?
expect_rc 0 "seerun with a deadline"
el=$(($(date +%s%N) / 1000000 - start_ms))
[ "$el" -lt 3500 ] || fail "the 2 s deadline took ${el} ms to resolve"
[ "$(field dl approve input_value)" = as-is ] || fail "the default was not the answer: $(field dl approve input_value)"
"$SEECTL" show dl | grep -q "shipped=as-is" || fail "the next task did not get the default"
[ "$(event dl timeout actor)" = timer ] || fail "seerun's timeout actor"
[ "$(event dl timeout status_after)" = in-progress ] || fail "default resumes the task"

# ---- on_timeout skip: an answer that is not required goes on without one ----
sed 's/"required": true,/"required": false,/; s/"default": "as-is", //; s/"on_timeout": "default"/"on_timeout": "skip"/; s/"timeout": "2s"/"timeout": "1s"/' \
	"$WF/deadline.json" >"$work/skip.json"
timeout 20 "$SEERUN" --id sk "$work/skip.json" >/dev/null 2>"$work/sk.err"
rc=$?
expect_rc 0 "seerun with on_timeout skip"
[ "$(field sk approve input_value)" = None ] || fail "skip gave a value: $(field sk approve input_value)"
"$SEECTL" show sk | grep -q "shipped=$" || fail "the next task did not run without an answer"

# ---- workflow files: bad timeouts are refused with FILE:LINE:COL ----
sed 's/"timeout": "2s"/"timeout": "2 weeks"/' "$WF/deadline.json" >"$work/bad1.json"
"$SEERUN" "$work/bad1.json" >/dev/null 2>"$work/err"
rc=$?
expect_rc 2 "a bad timeout"
grep -q 'bad1.json:[0-9]*:[0-9]*: the timeout of task .approve. must be a duration' "$work/err" || fail "bad timeout: $(cat "$work/err")"
sed 's/"on_timeout": "default"/"on_timeout": "skip"/' "$WF/deadline.json" >"$work/bad2.json"
"$SEERUN" "$work/bad2.json" >/dev/null 2>"$work/err"
rc=$?
expect_rc 2 "skip on a required answer"
grep -q "on_timeout 'skip' needs" "$work/err" || fail "skip on required: $(cat "$work/err")"

# the deadline travels in exports
run export
expect_out "deadline: $due"
run verify
expect_rc 0 "verify"
finish
