#!/bin/sh
# seerun_check.sh - seerun --check FILE checks a workflow file without
# running it, as argo lint and terraform validate do: no store is opened or
# made; a valid file prints its task tree (kind, command or prompt, type,
# default, deadline) and exits 0; a bad one prints every problem it can find
# as FILE:LINE:COL: message and exits 2.  A file that libyaml reads but that
# is not strict JSON gets a warning at its place (exit 0).
. "${SEETOP_TOP_SRCDIR:?}/tests/cli/lib.sh"
SEERUN=$top_builddir/cli/seerun
WF=$DATA/workflows
export SEETOP_HOME=$work/never-made

chk() {
	"$SEERUN" --check "$@" >"$work/out" 2>"$work/err"
	rc=$?
}

# ---- a valid file: the tree ----
chk "$WF/approve.json"
expect_rc 0 "--check approve.json"
[ -s "$work/err" ] && fail "a valid file wrote to stderr: $(cat "$work/err")"
cat >"$work/want" <<WANT
$WF/approve.json: valid: workflow 'approve' (Deploy after approval), 3 tasks
- build: command: echo built
  - approve: input (boolean, required, default false): "Deploy to production?"
    - deploy: command: sh -c 'echo approved=\$SEETOP_INPUT_APPROVE'
WANT
diff -u "$work/want" "$work/out" >&2 || fail "the tree of approve.json differs"
# siblings and two roots, in file order
chk "$WF/tree.json"
expect_rc 0 "--check tree.json"
cat >"$work/want" <<WANT
$WF/tree.json: valid: workflow 'tree' (A tree with parallel siblings), 5 tasks
- fetch: command: echo fetched
  - build-a: command: sh -c 'sleep 0.3; echo a'
    - test-a: command: echo 'tested a'
  - build-b: command: sh -c 'sleep 0.3; echo b'
- lint: command: echo 'lint ok'
WANT
diff -u "$work/want" "$work/out" >&2 || fail "the tree of tree.json differs"
# a deadline, a string default, respondents
chk "$WF/deadline.json"
expect_rc 0 "--check deadline.json"
expect_out '- approve: input (string, required, default "as-is"): "Ship it?"; deadline 2s, then default'
chk "$WF/respondents.json"
expect_rc 0 "--check respondents.json"
expect_out "; answered by root, nobody; not by who started it"
[ -e "$SEETOP_HOME" ] && fail "--check made a store"

# ---- YAML that is not JSON: seerun reads it, see's engine would not: a warning ----
chk "$WF/check-loose.json"
expect_rc 0 "--check check-loose.json"
expect_out "- a: command: true"
[ "$(cat "$work/err")" = "$WF/check-loose.json:3:23: warning: not JSON (seerun reads it as YAML, see's engine refuses it): expected a value: a string in double quotes, a number, true, false, null, an object or a list" ] ||
	fail "single quotes: $(cat "$work/err")"
printf '{id: "x", "name": "N", "tasks": [{"id": "a", "name": "A", "function": {"name": "cli_command", "input": {"command": "true"}}}]}\n' >"$work/bare.json"
chk "$work/bare.json"
expect_rc 0 "--check of a key without quotes"
expect_err "bare.json:1:2: warning: not JSON (seerun reads it as YAML, see's engine refuses it): expected a string in double quotes"
printf '{"id": "x", "name": "N", "tasks": [{"id": "a", "name": "A", "function": {"name": "cli_command", "input": {"command": "true"}}}]}\n# a comment\n' >"$work/comment.json"
chk "$work/comment.json"
expect_rc 0 "--check of a comment"
expect_err "comment.json:2:1: warning: not JSON (seerun reads it as YAML, see's engine refuses it): more after the JSON value"
# the example workflows are strict JSON
for f in "$WF"/*.json "$top_srcdir"/assets/workflows/*.json; do
	case $f in */check-loose.json) continue ;; esac
	"$SEERUN" --check "$f" 2>&1 >/dev/null | grep -F "warning: not JSON" >&2 && fail "$f is not strict JSON"
done

# ---- every problem of a bad file, each at its line and column ----
chk "$WF/check-bad.json"
expect_rc 2 "--check check-bad.json"
cat >"$work/want" <<WANT
$WF/check-bad.json:5:59: task 'think': unknown function 'llm_call'
$WF/check-bad.json:7:50: the timeout of task 'approve' must be a duration such as "90s", "15m", "2h" or "7d" (at most 3650d)
$WF/check-bad.json:9:99: the command of task 'deploy' is empty
seerun: $WF/check-bad.json: 3 problems
WANT
diff -u "$work/want" "$work/err" >&2 || fail "the problems of check-bad.json differ"
[ -s "$work/out" ] && fail "a bad file printed a tree: $(cat "$work/out")"
# not JSON: the syntax error, at its place
chk "$WF/check-syntax.json"
expect_rc 2 "--check check-syntax.json"
expect_err "check-syntax.json:3:27: did not find expected ',' or '}'"
expect_err "seerun: $WF/check-syntax.json: 1 problem"
# an unknown key, a task kind seerun cannot run, a duplicate id
chk "$WF/unknown-key.json"
expect_rc 2 "--check unknown-key.json"
expect_err "unknown-key.json:2:104: unknown key 'argz'"
chk "$WF/agent.json"
expect_rc 2 "--check agent.json"
expect_err "agent.json:4:25: task 'think': function 'cursor_agent' cannot run in seerun"
chk "$WF/dup.json"
expect_rc 2 "--check dup.json"
expect_err "task id 't1' is used twice"
chk "$work/nope.json"
expect_rc 2 "--check of a missing file"
expect_err "nope.json: No such file or directory"
# more problems than it reports: it says where it stopped
python3 - "$work/many.json" <<'PY'
import json, sys
tasks = [{"id": "t%d" % i, "name": "T", "function": {"name": "nope", "input": {}}} for i in range(150)]
json.dump({"id": "many", "name": "Many", "tasks": tasks}, open(sys.argv[1], "w"), indent=1)
PY
chk "$work/many.json"
expect_rc 2 "--check of 150 bad tasks"
[ "$(grep -c "unknown function 'nope'" "$work/err")" = 100 ] || fail "not 100 problems: $(grep -c nope "$work/err")"
expect_err "many.json: more than 100 problems: the rest is not checked"

# ---- usage: one file ----
"$SEERUN" --check "$WF/tree.json" "$WF/fail.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "--check with two files"
[ -e "$SEETOP_HOME" ] && fail "--check made a store"
# a run still refuses a bad file with its first problem, in one line
"$SEERUN" "$WF/check-bad.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "running check-bad.json"
expect_one_line
expect_err "check-bad.json:5:59: task 'think': unknown function 'llm_call'"
# - checks standard input, and names it - in the tree and the problems
"$SEERUN" --check - <"$WF/approve.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 0 "--check - (approve.json on standard input)"
expect_out "-: valid: workflow 'approve' (Deploy after approval), 3 tasks"
"$SEERUN" --check - <"$WF/check-bad.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "--check - (check-bad.json on standard input)"
expect_err "-:5:59: task 'think': unknown function 'llm_call'"
grep -q /proc "$work/err" && fail "--check - named the copy of standard input: $(cat "$work/err")"

# an option after the file, and an id far over its bound: one line each
"$SEERUN" "$WF/approve.json" --quiet >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "an option after the file"
expect_one_line
expect_err "unexpected '--quiet' after the workflow file"
"$SEERUN" --id "$(head -c 70000 /dev/zero | tr '\0' b)" "$WF/approve.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "a 70,000-byte id"
expect_one_line
expect_err "bad value for --id: 70000 bytes, at most 128"
[ "$(wc -c <"$work/err")" -lt 200 ] || fail "the id's error line is $(wc -c <"$work/err") bytes: the id was echoed"
finish
