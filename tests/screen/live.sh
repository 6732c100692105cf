#!/usr/bin/env bash
# Another process's change shows within the refresh interval, keeping the
# selection; quit and start again keeps the state; two seetops share a home.
. "$(dirname "$0")/lib.sh"
load_demo
start
expect_screen "nightly-etl-1190"
keys n n
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause"
expect_screen "= paused            nightly-etl-1190" 2
expect_screen "running 2  waiting 6" 2
keys q
expect_screen "[exit 0]"

# restart: still paused (its own look: "=", not the "!" of a question), and it can be resumed now
start
expect_screen "= paused            nightly-etl-1190"
keys / nightly Enter
keys Tab
expect_screen "= paused            load"
keys r
keys y
expect_screen "resumed task load of nightly-etl-1190"
[ "$(json nightly-etl-1190 "['execution']['status']")" = running ] || fail "resume after a restart"

# someone else acts first while the dashboard asks to confirm: the refusal
# comes in the store's words
"$SEECTL" pause nightly-etl-1190 load >/dev/null
expect_screen "= paused            load" 2
keys r
expect_screen "Resume task load of nightly-etl-1190? [y/N]"
"$SEECTL" resume nightly-etl-1190 load >/dev/null
keys y
expect_screen "task 'load' is not waiting for input (status: in-progress)"
keys q
expect_screen "[exit 0]"

# executions that start while the dashboard runs appear on top; the selected
# execution stays selected and on screen, however many arrived above it
sel_id() { screen_e | grep -E $'\e\\[[0-9;]*7[;m]' | sed 's/\x1b\[[0-9;]*m//g' |
	awk '$1 ~ /^[>!+x.]$/ && NF >= 3 { print $3; exit }'; }
running() { screen | grep -oE 'running [0-9]+' | head -1 | grep -oE '[0-9]+'; }
start
expect_screen "deploy-prod-4821"
keys G
# (G's move waited for: the header's position says the last row, row N/N)
for _ in $(seq 50); do screen | head -1 | grep -qE 'row ([0-9]+)/\1( |$)' && break; sleep 0.1; done
sel_before=$(sel_id)
[ -n "$sel_before" ] || fail "no selected execution after G:
$(screen)"
was=$(running)
python3 - "$work/new.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("executions:\n")
    for i in range(20):
        f.write(f"""  - id: fresh-{i:02d}
    workflow_name: Fresh
    start_timestamp: 2030-01-01T00:{i:02d}:00Z
    status: running
    tasks:
      - {{task_id: t1, status: in-progress}}
""")
PY
"$SEECTL" import "$work/new.yaml" >/dev/null || fail "importing 20 new executions"
expect_screen "running $((was + 20))" 3
sel_after=$(sel_id)
[ "$sel_after" = "$sel_before" ] || fail "the selection moved from '$sel_before' to '$sel_after' (or off screen):
$(screen)"
keys g
expect_screen "fresh-19"
keys q
finish
