#!/bin/sh
# seerun.sh - the reference engine on workflow files of see's format: a
# tree, parallel siblings, two roots, parallel inputs, the content wrapper,
# typed inputs with defaults, a failing command, answers in SEETOP_INPUT_*,
# 100,000 lines, a pause and resume of a running command, a held task,
# SIGTERM and --continue, refused files.
. "${SEETOP_TOP_SRCDIR:?}/tests/cli/lib.sh"
SEERUN=$top_builddir/cli/seerun
WF=$DATA/workflows

# status EXEC [TASK]: the status of an execution or one of its tasks
status() {
	"$SEECTL" show "$1" --json >"$work/st.json" 2>/dev/null || { echo missing; return; }
	python3 - "$work/st.json" "${2:-}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if sys.argv[2]:
    print(next(t["status"] for t in d["tasks"] if t["task_id"] == sys.argv[2]))
else:
    print(d["execution"]["status"])
PY
}
# wait_for WHAT WANT EXEC [TASK]: polls for up to 20 s
wait_for() {
	i=0
	while [ "$(status "$2" "${3:-}")" != "$1" ]; do
		i=$((i + 1))
		[ $i -gt 400 ] && { fail "$2 ${3:-}: still $(status "$2" "${3:-}"), expected $1"; return 1; }
		sleep 0.05
	done
	return 0
}
# task_field EXEC TASK FIELD: a field of a task in show --json
task_field() {
	"$SEECTL" show "$1" --json >"$work/tf.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=next(t for t in d["tasks"] if t["task_id"]==sys.argv[2]); print(t[sys.argv[3]])' "$work/tf.json" "$2" "$3"
}
# event_time EXEC TASK ACTION: when that event happened (microseconds)
event_us() {
	"$SEECTL" history "$1" --json >"$work/h.json"
	python3 - "$work/h.json" "$2" "$3" <<'PY'
import json, sys, datetime
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("task_id") == sys.argv[2] and e["action"] == sys.argv[3]:
        t = datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
        print(int(t.timestamp() * 1e6)); break
PY
}

# ---- a tree: parallel siblings, two roots ----
"$SEERUN" --jobs 4 "$WF/tree.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 0 "tree"
id=$(head -1 "$work/out")
case $id in tree-*) ;; *) fail "the first line is not the execution id: $id" ;; esac
[ "$(status "$id")" = complete ] || fail "tree: $(status "$id")"
for t in fetch build-a build-b test-a lint; do
	[ "$(status "$id" $t)" = complete ] || fail "tree: task $t is $(status "$id" $t)"
done
# build-b began before build-a completed (siblings ran together); test-a
# began only after build-a completed
[ "$(event_us "$id" build-b begin)" -lt "$(event_us "$id" build-a complete)" ] || fail "siblings did not run in parallel"
[ "$(event_us "$id" test-a begin)" -ge "$(event_us "$id" build-a complete)" ] || fail "test-a began before build-a completed"
[ "$(event_us "$id" build-a begin)" -ge "$(event_us "$id" fetch complete)" ] || fail "build-a began before fetch completed"
[ "$(task_field "$id" test-a logs)" = "['tested a']" ] || fail "test-a's output: $(task_field "$id" test-a logs)"

# ---- FILE -: the workflow from standard input ----
"$SEERUN" --id from-stdin - <"$WF/tree.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 0 "tree.json from standard input"
[ "$(head -1 "$work/out")" = from-stdin ] || fail "seerun - did not print its id first: $(head -1 "$work/out")"
[ "$(status from-stdin)" = complete ] || fail "seerun - : $(status from-stdin)"
[ "$(task_field from-stdin test-a logs)" = "['tested a']" ] || fail "seerun - : test-a's output: $(task_field from-stdin test-a logs)"
# a bad file from standard input is named -
printf '{"id": "x",\n' | "$SEERUN" - >/dev/null 2>"$work/err"
rc=$?
expect_rc 2 "a bad workflow from standard input"
expect_err "seerun: -:2:"
expect_one_line

# ---- --jobs 1: one command at a time ----
"$SEERUN" --jobs 1 --id serial "$WF/tree.json" >/dev/null 2>&1 || fail "tree with --jobs 1"
[ "$(event_us serial build-b begin)" -ge "$(event_us serial build-a complete)" ] ||
	[ "$(event_us serial build-a begin)" -ge "$(event_us serial build-b complete)" ] || fail "--jobs 1 ran two at once"

# ---- the content wrapper, a typed input with a default, the answer in the environment ----
"$SEERUN" --id rel-1 "$WF/approve.json" >"$work/rel.out" 2>"$work/rel.err" &
pid=$!
wait_for waiting-for-input rel-1 approve
run show rel-1 --json
[ "$(json '["execution"]["paused_task_id"]')" = approve ] || fail "paused_task_id is not approve"
[ "$(json '["execution"]["engine"]["attached"]')" = True ] || fail "show --json does not say the engine is attached"
[ "$(json '["execution"]["engine"]["pid"]')" = "$pid" ] || fail "show --json names pid $(json '["execution"]["engine"]["pid"]'), not $pid"
run resume rel-1 approve --input yes
expect_rc 0 "resume rel-1 approve"
wait $pid
rc=$?
expect_rc 0 "seerun approve.json after the answer"
[ "$(task_field rel-1 deploy logs)" = "['approved=true']" ] || fail "deploy did not see the answer: $(task_field rel-1 deploy logs)"

# ---- parallel inputs: one answer of two leaves the execution waiting ----
"$SEERUN" --id two-q "$WF/inputs.json" >/dev/null 2>"$work/two.err" &
pid=$!
wait_for waiting-for-input two-q count
wait_for waiting-for-input two-q release-note
run resume two-q count   # no value: the default, 8
expect_rc 0 "resume count with its default"
wait_for complete two-q scale
[ "$(status two-q)" = waiting-for-input ] || fail "one answer of two: the execution is $(status two-q)"
[ "$(task_field two-q scale logs)" = "['count=8']" ] || fail "the default did not reach scale: $(task_field two-q scale logs)"
run resume two-q release-note --input 'héllo wörld 你好'
expect_rc 0 "resume release-note"
wait $pid
rc=$?
expect_rc 0 "seerun inputs.json"
[ "$(task_field two-q publish logs)" = "['note=héllo wörld 你好']" ] || fail "publish: $(task_field two-q publish logs)"
# answers and defaults carry their type in JSON: the number is a number
"$SEECTL" show two-q --json | python3 -c '
import json, sys
t = {x["task_id"]: x for x in json.load(sys.stdin)["tasks"]}
assert t["count"]["input_value"] == 8 and type(t["count"]["input_value"]) is int, t["count"]
assert t["count"]["input"]["default"] == 8 and type(t["count"]["input"]["default"]) is int, t["count"]
assert t["release-note"]["input"]["default"] is None
assert t["scale"]["start_timestamp"] and t["scale"]["input"] is None' || fail "typed JSON values"
# every answer was used once: one complete event per input task
"$SEECTL" history two-q --json | grep -c '"action":"complete","execution_id":"two-q","task_id":"count"' >"$work/n"
[ "$(cat "$work/n")" = 1 ] || fail "count completed $(cat "$work/n") times"

# ---- a failing command: its subtree never runs, running ones finish, exit 1 ----
"$SEERUN" --id f1 "$WF/fail.json" >/dev/null 2>"$work/f.err"
rc=$?
expect_rc 1 "a failing workflow"
[ "$(status f1)" = failed ] || fail "f1 is $(status f1)"
[ "$(status f1 bad)" = failed ] || fail "bad is $(status f1 bad)"
[ "$(status f1 never)" = pending ] || fail "never is $(status f1 never)"
[ "$(status f1 slow-ok)" = complete ] || fail "a running sibling was not allowed to finish: $(status f1 slow-ok)"
[ "$(task_field f1 bad reason)" = "exit status 3" ] || fail "bad's reason: $(task_field f1 bad reason)"

# ---- a command that leaves a process behind holding its output: the task
# ends with the command (after a 2 s grace for its last output), not with
# the process it left ----
t0=$(date +%s)
timeout 60 "$SEERUN" --id dm "$WF/daemon.json" >/dev/null 2>&1 || fail "daemon.json"
el=$(($(date +%s) - t0))
pkill -f -x "sleep 307" 2>/dev/null # (a duration of its own: no one else's sleep)
[ "$el" -lt 30 ] || fail "the task waited ${el} s for the process its command left behind"
[ "$(status dm after)" = complete ] || fail "the next task: $(status dm after)"
run show dm
expect_out "| started"
expect_out "seerun: the command exited; a process it started still holds its output"

# ---- 100,000 lines ----
"$SEERUN" --id many "$WF/lines.json" >/dev/null 2>&1 || fail "lines.json"
[ "$(task_field many chatty log_count)" = 100000 ] || fail "log_count: $(task_field many chatty log_count)"
run show many
expect_out "99980 earlier lines: seectl logs many chatty"
expect_out "| 100000"

# ---- a pause of a running command stops it; a resume continues it ----
"$SEERUN" --id tick "$WF/pause.json" >/dev/null 2>"$work/tick.err" &
pid=$!
wait_for in-progress tick ticker
sleep 0.4
run pause tick ticker
expect_rc 0 "pause a running command"
sleep 0.3
n1=$(task_field tick ticker log_count)
cmd=$(pgrep -f 'for i in \$\(seq 1 25\)' | head -1)
[ -n "$cmd" ] && [ "$(awk '{print $3}' /proc/$cmd/stat)" = T ] || fail "the paused command is not stopped"
sleep 0.6
n2=$(task_field tick ticker log_count)
[ "$n1" = "$n2" ] || fail "a paused command went on printing ($n1 then $n2 lines)"
[ "$(status tick after)" = pending ] || fail "the follower of a paused task ran"
run resume tick ticker
expect_rc 0 "resume a paused command"
wait $pid
rc=$?
expect_rc 0 "seerun pause.json"
[ "$(task_field tick ticker log_count)" = 25 ] || fail "ticker's lines: $(task_field tick ticker log_count)"

# ---- a task paused before it runs is held until resumed ----
"$SEERUN" --id hold "$WF/pause.json" >/dev/null 2>&1 &
pid=$!
wait_for in-progress hold ticker
run pause hold after
expect_rc 0 "pause a pending task"
wait_for complete hold ticker
sleep 0.5
[ "$(status hold after)" = waiting-for-input ] || fail "a held task ran: $(status hold after)"
run resume hold after
wait $pid
rc=$?
expect_rc 0 "seerun after a held task"
[ "$(status hold after)" = complete ] || fail "the held task did not run once resumed"

# ---- SIGTERM stops the commands; --continue finishes the execution ----
"$SEERUN" --id stop "$WF/pause.json" >/dev/null 2>"$work/stop.err" &
pid=$!
wait_for in-progress stop ticker
sleep 0.3
kill -TERM $pid
wait $pid
rc=$?
expect_rc 143 "seerun after SIGTERM"
grep -q "seerun --continue stop" "$work/stop.err" || fail "SIGTERM: no hint to continue: $(cat "$work/stop.err")"
[ "$(status stop ticker)" = in-progress ] || fail "a stopped command was marked $(status stop ticker)"
pgrep -f 'for i in \$\(seq 1 25\)' >/dev/null && fail "the command outlived seerun"
run show stop
expect_out "(detached: the engine is gone)"
"$SEERUN" --continue stop >/dev/null 2>"$work/cont.err"
rc=$?
expect_rc 0 "seerun --continue stop"
[ "$(status stop)" = complete ] || fail "continued: $(status stop)"
"$SEERUN" --continue stop >/dev/null 2>"$work/err"
rc=$?
expect_rc 2 "--continue of a complete execution"
expect_err "is complete: there is nothing to continue"
# one started from standard input: --continue asks for its file, and - reads it again
"$SEERUN" --id stop-stdin - <"$WF/pause.json" >/dev/null 2>"$work/stop.err" &
pid=$!
wait_for in-progress stop-stdin ticker
kill -TERM $pid
wait $pid
"$SEERUN" --continue stop-stdin >/dev/null 2>"$work/err" </dev/null
rc=$?
expect_rc 2 "--continue of an execution read from standard input, without FILE"
expect_one_line
expect_err "execution 'stop-stdin' was started from standard input: name its workflow file"
"$SEERUN" --continue stop-stdin - <"$WF/pause.json" >/dev/null 2>"$work/err"
rc=$?
expect_rc 0 "seerun --continue stop-stdin - (the file on standard input again)"
[ "$(status stop-stdin)" = complete ] || fail "continued from standard input: $(status stop-stdin)"

# ---- refused files: FILE:LINE:COL, exit 2, nothing started ----
before=$("$SEECTL" list --json | wc -l)
"$SEERUN" "$WF/agent.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "cursor_agent"
expect_err "agent.json:4:"
expect_err "task 'think': function 'cursor_agent' cannot run in seerun"
expect_one_line
"$SEERUN" "$WF/unknown-key.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "an unknown key"
expect_err "unknown-key.json:2:104:"
expect_err "unknown key 'argz'"
"$SEERUN" "$WF/dup.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "a duplicate task id"
expect_err "task id 't1' is used twice"
"$SEERUN" "$work/nope.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "a missing file"
expect_err "nope.json: No such file or directory"
"$SEERUN" --jobs 0 "$WF/tree.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "--jobs 0"
expect_err "bad value '0' for --jobs"
"$SEERUN" --id rel-1 "$WF/tree.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "a taken id"
expect_err "execution 'rel-1' already exists"
[ "$("$SEECTL" list --json | wc -l)" = "$before" ] || fail "a refused file started an execution"

# ---- reject: the approval fails, its subtree never runs, seerun fails the execution ----
"$SEERUN" --id rej "$WF/approve.json" >/dev/null 2>"$work/rej.err" &
pid=$!
wait_for waiting-for-input rej approve
run reject rej approve
expect_rc 2 "reject without a reason"
expect_err "--reason TEXT is required"
run reject rej approve --reason "not during the freeze"
expect_rc 0 "reject rej approve"
wait $pid
rc=$?
expect_rc 1 "seerun after a reject"
[ "$(status rej)" = failed ] || fail "rejected: the execution is $(status rej)"
[ "$(status rej deploy)" = pending ] || fail "a rejected task's subtree ran: $(status rej deploy)"
[ "$(task_field rej approve reason)" = "not during the freeze" ] || fail "the reject's reason: $(task_field rej approve reason)"

# ---- cancel: seerun stops its running command at once ----
"$SEERUN" --id can "$WF/pause.json" >/dev/null 2>"$work/can.err" &
pid=$!
wait_for in-progress can ticker
start_ms=$(($(date +%s%N) / 1000000))
run cancel can --reason "wrong branch"
expect_rc 0 "cancel can"
wait $pid
rc=$?
expect_rc 1 "seerun after a cancel"
[ $(($(date +%s%N) / 1000000 - start_ms)) -lt 2000 ] || fail "seerun did not stop at once after a cancel"
pgrep -f 'for i in \$\(seq 1 25\)' >/dev/null && fail "the cancelled command still runs"
[ "$(status can)" = failed ] && [ "$(status can ticker)" = failed ] && [ "$(status can after)" = failed ] ||
	fail "cancel: $(status can) $(status can ticker) $(status can after)"
"$SEECTL" history can --json | grep -q '"action":"cancel".*"reason":"wrong branch"' || fail "no cancel event with its reason"

# ---- export --events: the audit trail travels, and an import restores it ----
# (rej and can carry a start, begins, an input request, a reject and a cancel with their reasons)
"$SEECTL" history rej --json >"$work/trail-a"
"$SEECTL" history can --json >>"$work/trail-a"
run export --events
expect_rc 0 "export --events"
cp "$work/out" "$work/events.yaml"
grep -q "^  events:" "$work/events.yaml" || fail "export --events wrote no events"
"$SEECTL" export >"$work/plain.yaml"
grep -q "^  events:" "$work/plain.yaml" && fail "export without --events wrote the audit trail"
SEETOP_HOME=$work/restored "$SEECTL" import "$work/events.yaml" >/dev/null 2>"$work/err" || fail "import of an export with events: $(cat "$work/err")"
SEETOP_HOME=$work/restored "$SEECTL" history rej --json >"$work/trail-b"
SEETOP_HOME=$work/restored "$SEECTL" history can --json >>"$work/trail-b"
# the same events (time, actor, action, task, change, value, reason), oldest
# first, then one import event each; only the sequence numbers are new
python3 - "$work/trail-a" "$work/trail-b" <<'PY' || fail "the restored history differs"
import json, sys
def load(p):
    evs = [json.loads(l) for l in open(p)]
    for e in evs: e.pop("seq")
    return evs
a, b = load(sys.argv[1]), load(sys.argv[2])
imports = [e for e in b if e["action"] == "import"]
b = [e for e in b if e["action"] != "import"]
assert len(imports) == 2, imports
assert a == b, (len(a), len(b), [x for x in zip(a, b) if x[0] != x[1]][:1])
assert any(e["action"] == "reject" and e["reason"] == "not during the freeze" for e in b)
PY
SEETOP_HOME=$work/restored "$SEECTL" export --events --format json >"$work/events.json"
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    assert d["events"] and d["events"][0]["action"] == "start", d["execution"]["id"]
' "$work/events.json" || fail "export --events --format json"
# a replacing import never rewrites a trail: the events are not doubled
SEETOP_HOME=$work/restored "$SEECTL" import --replace "$work/events.yaml" >/dev/null || fail "import --replace"
n=$(SEETOP_HOME=$work/restored "$SEECTL" history rej --json | grep -c '"action":"reject"')
[ "$n" = 1 ] || fail "a replacing import doubled the trail: $n rejects"
# a bad event is refused at its line and column, and nothing is imported
sed 's/^    action: reject$/    action: ""/' "$work/events.yaml" >"$work/bad-events.yaml"
SEETOP_HOME=$work/restored2 "$SEECTL" import "$work/bad-events.yaml" >/dev/null 2>"$work/err"
rc=$?
expect_rc 2 "an event without an action"
grep -q "bad-events.yaml:[0-9]*:[0-9]*: .*action" "$work/err" || fail "bad event: $(cat "$work/err")"

# ---- an answer given the moment seerun asks is never missed ----
"$top_builddir/tests/tools/resume_race" "$SEERUN" "$work/race" "$WF/ask-first.json" 150 ||
	fail "seerun missed an answer given right after it asked"

"$SEERUN" -V | grep -q "^seerun [0-9]" || fail "seerun -V"
"$SEERUN" --id >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "--id without a value"
expect_err "option --id needs a value"

run verify
expect_rc 0 "verify after every run"
finish
