#!/usr/bin/env bash
# Following: seectl logs EXEC TASK -f prints the lines a running seerun
# stores as they come and exits 0 when the task ends; --tail N keeps the last
# N; history --follow prints each new audit event as it is committed; show
# prints the last 20 lines of a task and says how to read the rest.
. "$(dirname "$0")/lib.sh"
SEERUN=$top_builddir/cli/seerun

# a command that prints 40 lines over about 4 s, then one that follows it
cat >"$work/slow.json" <<'JSON'
{"id": "slow", "name": "A slow printer",
 "tasks": [{"id": "ticker", "name": "Ticks", "function": {"name": "cli_command", "input": {"command": "sh", "args": ["-c", "for i in $(seq 1 40); do echo tick $i; sleep 0.1; done"]}},
  "next_tasks": [{"id": "after", "name": "After", "function": {"name": "cli_command", "input": {"command": "echo", "args": ["done"]}}}]}]}
JSON
"$SEERUN" --id slow-1 "$work/slow.json" >"$work/seerun.out" 2>&1 &
seerun_pid=$!
# wait for the first ticks to be stored
i=0
until "$SEECTL" logs slow-1 ticker 2>/dev/null | grep -q '^tick 3$'; do
	i=$((i + 1))
	[ $i -gt 400 ] && { fail "seerun stored no ticks in 20 s: $(cat "$work/seerun.out")"; break; }
	sleep 0.05
done
# what is stored now is only a part: following must bring the rest
"$SEECTL" logs slow-1 ticker >"$work/now"
[ "$(wc -l <"$work/now")" -lt 40 ] || fail "the command ended before the test could follow it"
timeout 60 "$SEECTL" logs slow-1 ticker -f >"$work/followed" 2>"$work/err"
rc=$?
expect_rc 0 "logs -f exits 0 when the task ends"
seq 1 40 | sed 's/^/tick /' >"$work/want"
cmp -s "$work/followed" "$work/want" || fail "logs -f did not print tick 1..40 once each, in order: $(tr '\n' ' ' <"$work/followed")"
wait "$seerun_pid" || fail "seerun failed: $(cat "$work/seerun.out")"

run logs slow-1 ticker --tail 3
expect_rc 0 "logs --tail 3"
[ "$(cat "$work/out")" = "$(printf 'tick 38\ntick 39\ntick 40')" ] || fail "--tail 3: $(cat "$work/out")"
run logs slow-1 ticker -n 3 -f
expect_rc 0 "logs -n 3 -f on a task that has ended"
[ "$(wc -l <"$work/out")" -eq 3 ] || fail "-n 3 -f on an ended task: $(cat "$work/out")"
run logs slow-1 nope
expect_rc 1 "an unknown task"
expect_err "seectl: task 'nope' not found in execution 'slow-1'"
expect_one_line
run logs nope ticker
expect_rc 1 "an unknown execution"
expect_err "nope"
expect_one_line
run logs slow-1
expect_rc 2 "no task"

# show: the last 20 lines, how many came before, and the command that prints them
run show slow-1
expect_rc 0 "show"
expect_out "      20 earlier lines: seectl logs slow-1 ticker"
expect_out "      | tick 21"
expect_no_out "      | tick 20"
expect_out "      | tick 40"
run show slow-1 --tail 5
expect_out "      35 earlier lines: seectl logs slow-1 ticker"
expect_no_out "      | tick 35"
expect_out "      | tick 36"
run show slow-1 --all
expect_out "      | tick 1"
expect_no_out "earlier lines"
[ "$(grep -c '^      | tick ' "$work/out")" -eq 40 ] || fail "show --all does not print the 40 lines"

# history --follow: the last N events, oldest first, then new ones as they come
"$SEECTL" import "$top_srcdir/assets/demo.yaml" >/dev/null || fail "import the demo"
"$SEECTL" history --follow --limit 2 >"$work/hist" 2>&1 &
follower=$!
i=0
until [ "$(wc -l <"$work/hist")" -ge 3 ]; do
	i=$((i + 1))
	[ $i -gt 400 ] && { fail "history --follow printed no events: $(cat "$work/hist")"; break; }
	sleep 0.05
done
"$SEECTL" --actor follow-test pause nightly-etl-1190 load >/dev/null || fail "pause"
"$SEECTL" --actor follow-test resume nightly-etl-1190 load >/dev/null || fail "resume"
i=0
until grep -q "follow-test.*resume" "$work/hist"; do
	i=$((i + 1))
	[ $i -gt 400 ] && { fail "history --follow did not print the new events: $(cat "$work/hist")"; break; }
	sleep 0.05
done
kill "$follower" 2>/dev/null
wait "$follower" 2>/dev/null
head -1 "$work/hist" | grep -q "SEQ" || fail "history --follow has no header"
# two past events, then pause and resume in the order they happened
grep -c ' import ' "$work/hist" | grep -qx 2 || fail "not the 2 newest past events: $(cat "$work/hist")"
awk '/ pause /{p=NR} / resume/{r=NR} END{exit !(p && r && p < r)}' "$work/hist" ||
	fail "the new events are not printed in order: $(cat "$work/hist")"
"$SEECTL" server stop >/dev/null 2>&1
finish
