#!/bin/sh
# bulk.sh - seectl resume/reject/cancel --all: selectors (--workflow,
# --older-than), the pre-flight count on stderr, skipped required answers,
# --dry-run changes nothing, --json results, exit codes, usage errors,
# read-only, and a run killed midway that a second run finishes.
. "${SEETOP_TOP_SRCDIR:?}/tests/cli/lib.sh"

# mk ID WORKFLOW START [DEFAULT]: a waiting execution as a data file
mk() {
	{
		printf 'executions:\n- id: %s\n  workflow_name: "%s"\n  start_timestamp: %s\n' "$1" "$2" "$3"
		printf '  status: waiting-for-input\n  is_paused: true\n  paused_task_id: t\n  tasks:\n'
		printf '  - {task_id: t, status: waiting-for-input, input: {prompt: "Go?", type: string, required: true'
		[ -n "${4:-}" ] && printf ', default: "%s"' "$4"
		printf '}}\n'
	} >"$work/$1.yaml"
	echo "$work/$1.yaml"
}
old=2024-01-01T00:00:00Z
new=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$SEECTL" import "$(mk a1 Deploy "$old" yes)" "$(mk a2 Deploy "$new" yes)" "$(mk a3 Deploy "$old")" \
	"$(mk b1 "Nightly ETL" "$old" ok)" >/dev/null || fail "import"
st() { "$SEECTL" show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["execution"]["status"])'; }

# ---- usage ----
run resume --workflow Deploy
expect_rc 2 "a selector without --all"
expect_err "go with --all"
run resume a1 --all
expect_rc 2 "--all with an execution"
run reject --all
expect_rc 2 "reject --all without a reason"
expect_err "--reason TEXT is required"
run resume --all --older-than soon
expect_rc 2 "a bad duration"
expect_err "bad value 'soon' for --older-than"
run --read-only resume --all
expect_rc 1 "read-only"

# ---- dry run: the count, what would happen, nothing changes ----
before=$(home_sum "$SEETOP_HOME")
run resume --all --workflow dEPLOY --dry-run
expect_rc 1 "a dry run with a skipped execution"
expect_err "seectl: resume 3 executions (--workflow 'dEPLOY' matches 'Deploy' 3); 1 waits for a required answer and will be skipped (dry run: nothing changes)"
expect_out "would resume a1"
expect_out "would resume a2"
expect_out "skipped a3: task 't' requires an answer"
expect_no_out "b1"
[ "$(home_sum "$SEETOP_HOME")" = "$before" ] || fail "a dry run changed the store"
# --workflow matches a part of the name, in any case, and says what it matched
run resume --all --workflow "ly et" --dry-run
expect_rc 0 "a part of a name"
expect_err "seectl: resume 1 execution (--workflow 'ly et' matches 'Nightly ETL' 1) (dry run: nothing changes)"
expect_out "would resume b1"
run resume --all --workflow "e" --dry-run
expect_err "seectl: resume 4 executions (--workflow 'e' matches 'Deploy' 3, 'Nightly ETL' 1); 1 waits"
run resume --all --workflow "Release train" --dry-run
expect_rc 0 "a workflow that matches nothing"
expect_err "seectl: resume 0 executions (--workflow 'Release train' matches no workflow) (dry run: nothing changes)"

# ---- selectors: the workflow and the age ----
run resume --all --workflow Deploy --older-than 30d --json
expect_rc 1 "a3 is skipped"
python3 - "$work/out" <<'PY' || fail "resume --json: $(cat "$work/out")"
import json, sys
r = {d["execution"]: d for d in map(json.loads, open(sys.argv[1]))}
assert set(r) == {"a1", "a3"}, r
assert r["a1"]["action"] == "resume" and r["a1"]["result"] == "done" and r["a1"]["message"] is None
assert r["a3"]["result"] == "skipped" and "requires an answer" in r["a3"]["message"]
PY
[ "$(st a1)" = running ] || fail "a1 was not resumed"
[ "$(st a2)" = waiting-for-input ] || fail "a2 is newer than 30d and was resumed"
[ "$(st b1)" = waiting-for-input ] || fail "b1 is another workflow and was resumed"
run resume --all --workflow "Nightly ETL"
expect_rc 0 "every selected execution done"
expect_out "resumed b1"
expect_err "seectl: resume: 1 done, 0 skipped, 0 refused"

# ---- reject and cancel ----
run reject --all --workflow Deploy --reason "release frozen"
expect_rc 0 "reject --all"
expect_out "rejected a2"
expect_out "rejected a3"
[ "$("$SEECTL" history a3 --json | grep -c '"action":"reject".*"reason":"release frozen"')" = 1 ] || fail "a3's reject event"
run cancel --all --reason "cleanup"
expect_rc 0 "cancel --all (the running ones)"
for e in a1 a2 a3 b1; do [ "$(st "$e")" = failed ] || fail "$e was not cancelled: $(st "$e")"; done
run cancel --all --reason "again"
expect_rc 0 "nothing left to cancel"
expect_err "seectl: cancel 0 executions"

# ---- killed midway: each execution done or not; a second run does the rest ----
python3 - "$work/many.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("executions:\n")
    for i in range(400):
        f.write(f"""- id: m{i:04d}
  workflow_name: Many
  start_timestamp: 2024-01-01T00:00:00Z
  status: waiting-for-input
  is_paused: true
  paused_task_id: t
  tasks:
  - {{task_id: t, status: waiting-for-input, input: {{prompt: "Go?", type: string, required: false}}}}
""")
PY
"$SEECTL" import "$work/many.yaml" >/dev/null || fail "import 400"
"$SEECTL" resume --all --workflow Many >"$work/part" 2>/dev/null &
pid=$!
i=0
while [ "$(wc -l <"$work/part")" -lt 50 ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n_running=$("$SEECTL" list --status running --json | grep -c '"workflow_name":"Many"')
n_waiting=$("$SEECTL" list --status waiting --json | grep -c '"workflow_name":"Many"')
[ $((n_running + n_waiting)) -eq 400 ] || fail "killed midway: $n_running running + $n_waiting waiting != 400"
[ "$n_waiting" -gt 0 ] || echo "note: the bulk run finished before the kill" >&2
run resume --all --workflow Many
expect_rc 0 "the second run"
expect_err "seectl: resume $n_waiting execution"
[ "$("$SEECTL" list --status running --json | grep -c '"workflow_name":"Many"')" = 400 ] || fail "not every execution was resumed"
# each was resumed exactly once
dups=$("$SEECTL" history --limit 0 --json | grep '"action":"resume-workflow"' | grep -o '"execution_id":"m[0-9]*"' | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups executions were resumed twice"
run verify
expect_rc 0 "verify"
finish
