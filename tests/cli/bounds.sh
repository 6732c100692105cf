#!/bin/sh
# bounds.sh - every stored text within the model's bounds: a home holding
# values at every bound (ids of 128 bytes, names, prompts, defaults, reasons
# and an answer of 64 KiB, a log line of 1 MiB, 64 respondents) exports, and
# its export imports again, whole; an answer one byte over its bound is
# refused with a line that names it.
. "$SEETOP_TOP_SRCDIR/tests/cli/lib.sh"

python3 - "$work/bound.yaml" "$work/answer" "$work/over" <<'PY'
import sys
path, answer, over = sys.argv[1:4]
K = 64 * 1024
eid = "e" * 127 + "1"
def t(c):
    return c * K
with open(path, "w") as f:
    f.write("executions:\n")
    f.write(f"  - id: '{eid}'\n")
    f.write(f"    workflow_name: '{t('w')}'\n")
    f.write("    start_timestamp: 2025-01-01T00:00:00Z\n")
    f.write("    status: waiting-for-input\n")
    f.write("    is_paused: true\n")
    f.write(f"    paused_task_id: '{'a' * 128}'\n")
    f.write("    tasks:\n")
    # waits, to be answered with 64 KiB
    f.write(f"      - task_id: '{'a' * 128}'\n")
    f.write(f"        task_name: '{t('n')}'\n")
    f.write("        status: waiting-for-input\n")
    f.write(f"        logs: ['{'l' * (1 << 20)}']\n")
    f.write(f"        input: {{prompt: '{t('p')}', type: string, required: true, default: '{t('d')}'}}\n")
    # waits, to be rejected with a reason of 64 KiB
    f.write(f"      - task_id: '{'b' * 128}'\n")
    f.write("        status: waiting-for-input\n")
    f.write("        input: {prompt: 'Reject me', type: string, required: false}\n")
    # waits for one of 64 respondents
    f.write(f"      - task_id: '{'c' * 128}'\n")
    f.write("        status: waiting-for-input\n")
    names = ", ".join(f"u{i:02d}" for i in range(64))
    f.write(f"        input: {{prompt: 'Ship?', type: boolean, required: true, respondents: [{names}]}}\n")
open(answer, "w").write("v" * K)
open(answer + ".reason", "w").write("r" * K)
open(over, "w").write("v" * (K + 1))
PY
eid=$(printf 'e%.0s' $(seq 127))1
tid=$(printf 'a%.0s' $(seq 128))
rid=$(printf 'b%.0s' $(seq 128))

run --home "$work/h1" import "$work/bound.yaml"
expect_rc 0 "import of values at every bound"

# an answer one byte over: refused by name, nothing changes
run --home "$work/h1" resume "$eid" "$tid" --input "$(cat "$work/over")"
expect_rc 1 "an answer of 64 KiB and one byte"
expect_err "the input value for task '$tid' is 65537 bytes: at most 65536 (64 KiB)"
expect_one_line
# at the bound: taken whole
run --home "$work/h1" resume "$eid" "$tid" --input "$(cat "$work/answer")"
expect_rc 0 "an answer of 64 KiB"
run --home "$work/h1" show --json "$eid"
expect_rc 0 "show"
[ "$(json "['tasks'][0]['input_value']" | wc -c)" -eq 65537 ] || fail "the answer of 64 KiB was not kept whole"

# a reason of 64 KiB
run --home "$work/h1" reject "$eid" "$rid" --reason "$(cat "$work/answer.reason")"
expect_rc 0 "a rejection with a reason of 64 KiB"
run --home "$work/h1" show --json "$eid"
[ "$(json "['tasks'][1]['reason']" | wc -c)" -eq 65537 ] || fail "the reason of 64 KiB was not kept whole"

# the export, with its trail, imports again; the two homes export alike
"$SEECTL" --home "$work/h1" export --events >"$work/h1.yaml" || fail "export of h1"
run --home "$work/h2" import "$work/h1.yaml"
expect_rc 0 "the export of a home at every bound imports again"
"$SEECTL" --home "$work/h1" export >"$work/a.yaml" || fail "export of h1"
"$SEECTL" --home "$work/h2" export >"$work/b.yaml" || fail "export of h2"
cmp -s "$work/a.yaml" "$work/b.yaml" || fail "the round trip changed the home"
[ "$(wc -c <"$work/a.yaml")" -gt $((1 << 20)) ] || fail "the export lacks the values at their bounds"
"$SEECTL" --home "$work/h1" server stop >/dev/null 2>&1
"$SEECTL" --home "$work/h2" server stop >/dev/null 2>&1
finish
