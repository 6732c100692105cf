#!/bin/sh
# engine.sh - an engine attached through a replica: its lease follows its
# own connection to the replica (the master shows it attached, and not once
# it is killed; another engine takes the execution up through the other
# replica), and its execution goes on across a failover (kill -9 of the
# master while its command prints): the operator answers at another site,
# the workflow completes, and no log line is doubled.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"
SEERUN=$top_builddir/cli/seerun

# attached SITE EXEC: True or False, as show --json at that site says
attached() {
	on "$1" show "$2" --json
	[ "$rc" -eq 0 ] && json '["execution"]["engine"]["attached"]' 2>/dev/null || echo "?"
}

make_group

# ---- the lease follows the engine's connection to the replica ----
cat >"$work/ask.json" <<'EOF'
{"id": "ask", "name": "Ask",
 "tasks": [{"id": "q", "name": "Q", "function": {"name": "user_input",
            "input": {"prompt": "Go?", "input_type": "boolean", "required": true}}}]}
EOF
"$SEERUN" --home "$(site_home 2)" --id lease-1 "$work/ask.json" >/dev/null 2>"$work/lease.err" &
eng=$!
wait_for 20 is_status 2 waiting-for-input lease-1 q || fail "lease-1 never waited at site 2: $(cat "$work/lease.err")"
[ "$(attached 2 lease-1)" = True ] || fail "the replica does not show its engine attached"
[ "$(attached 1 lease-1)" = True ] || fail "the master does not show the replica's engine attached"
on 1 show lease-1 --json
[ "$(json '["execution"]["engine"]["pid"]')" = "$eng" ] || fail "the master names engine pid $(json '["execution"]["engine"]["pid"]'), not $eng"
kill -9 "$eng"
wait "$eng" 2>/dev/null
gone() { [ "$(attached 1 lease-1)" = False ] && [ "$(attached 2 lease-1)" = False ]; }
wait_for 10 gone || fail "the engine was killed, but the master says attached: $(attached 1 lease-1), site 2: $(attached 2 lease-1)"
# another engine takes it up through the other replica (attach), and the
# answer given at site 2 reaches it
"$SEERUN" --home "$(site_home 3)" --continue lease-1 >/dev/null 2>"$work/cont.err" &
eng=$!
again() { [ "$(attached 1 lease-1)" = True ] && [ "$(attached 3 lease-1)" = True ]; }
wait_for 20 again || fail "seerun --continue at site 3: the master says attached: $(attached 1 lease-1), site 3: $(attached 3 lease-1)"
on 1 show lease-1 --json
[ "$(json '["execution"]["engine"]["pid"]')" = "$eng" ] || fail "the master names engine pid $(json '["execution"]["engine"]["pid"]'), not $eng"
on 2 resume lease-1 q --input true
expect_rc 0 "the answer at site 2"
wait "$eng"
rc=$?
expect_rc 0 "seerun --continue lease-1 at site 3: $(cat "$work/cont.err")"
wait_for 10 is_status 3 complete lease-1 || fail "lease-1 is $(status 3 lease-1) at site 3"

# ---- across a failover ----
# a command that prints 60 numbered lines over 6 s, then a question, then a
# command that prints the answer
cat >"$work/flow.json" <<'EOF'
{"id": "flow", "name": "Through a failover",
 "tasks": [{"id": "count", "name": "Count",
            "function": {"name": "cli_command",
                         "input": {"command": "sh", "args": ["-c", "i=1; while [ $i -le 60 ]; do echo line-$i; i=$((i+1)); sleep 0.1; done"]}},
            "next_tasks": [{"id": "approve", "name": "Approve",
                            "function": {"name": "user_input",
                                         "input": {"prompt": "Ship?", "input_type": "boolean", "required": true}},
                            "next_tasks": [{"id": "ship", "name": "Ship",
                                            "function": {"name": "cli_command",
                                                         "input": {"command": "sh", "args": ["-c", "echo shipped=$SEETOP_INPUT_APPROVE"]}}}]}]}]}
EOF
"$SEERUN" --home "$(site_home 2)" --id flow-1 "$work/flow.json" >"$work/flow.out" 2>"$work/flow.err" &
eng=$!
# the master is killed while the lines come
some_lines() { on 2 logs flow-1 count; [ "$rc" -eq 0 ] && [ "$(grep -c '^line-' "$work/out")" -ge 10 ]; }
wait_for 20 some_lines || fail "flow-1's first lines never reached site 2"
# site 3 stopped, then the master killed: no majority, no master for 5 s;
# the engine's changes are refused meanwhile ("no master (election in
# progress)") and sent again
kill -STOP "$(site_pid 3)"
kill -9 "$(site_pid 1)"
sleep 5
[ "$(role_of 2)" != master ] || fail "site 2 was elected master alone"
kill -0 "$eng" 2>/dev/null || fail "seerun did not wait for a master: $(cat "$work/flow.err")"
kill -CONT "$(site_pid 3)"
elected() { [ "$(role_of 2)" = master ] || [ "$(role_of 3)" = master ]; }
wait_for 30 elected || fail "no new master within 30 s"
[ "$(role_of 2)" = master ] && new=2 || new=3
# the engine carries on: its question reaches every live site
wait_for 60 is_status 2 waiting-for-input flow-1 approve ||
	fail "flow-1 did not reach its question at site 2: $(status 2 flow-1 count), $(cat "$work/flow.err")"
wait_for 20 is_status 3 waiting-for-input flow-1 approve || fail "site 3 does not see flow-1's question"
[ "$(attached "$new" flow-1)" = True ] || fail "the new master (site $new) does not show flow-1's engine attached"
# the operator answers at site 3, whichever it is
answered() { on 3 resume flow-1 approve --input yes; [ "$rc" -eq 0 ]; }
wait_for 30 answered || fail "resume at site 3: exit $rc: $(cat "$work/err")"
i=0
while kill -0 "$eng" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$eng" 2>/dev/null && { kill "$eng"; fail "seerun did not finish after the answer"; }
wait "$eng"
rc=$?
[ "$rc" -eq 0 ] || fail "seerun through a failover: exit $rc: $(cat "$work/flow.err")"
for n in 2 3; do
	wait_for 10 is_status $n complete flow-1 || fail "flow-1 is $(status $n flow-1) at site $n"
	on $n logs flow-1 count
	expect_rc 0 "logs flow-1 count at site $n"
	grep '^line-' "$work/out" >"$work/lines"
	seq 1 60 | sed 's/^/line-/' >"$work/want"
	cmp -s "$work/lines" "$work/want" ||
		fail "site $n: flow-1's lines are not line-1..line-60 once each, in order: $(sort "$work/lines" | uniq -d | head -3) doubled; $(wc -l <"$work/lines") lines"
	on $n logs flow-1 ship
	expect_out "shipped=true"
done
finish
