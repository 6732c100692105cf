#!/bin/sh
# priority.sh - replicas that may never become master (repl join --priority
# 0) still make a change durable: a commit waits for a majority of the
# group's sites, whichever they are.  Berkeley DB's own quorum policy counts
# electable sites only, so that a master whose replicas all had priority 0
# acknowledged its commits alone (exit 0 with both replicas stopped), and a
# loss of the master lost them.
# A group of three, sites 2 and 3 of priority 0: a change at the master is
# done; with both replicas stopped (SIGSTOP) a change is refused 'not
# durable on a quorum' (exit 3); with one of them let go it is done again,
# and that replica holds it.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

on 1 import "$DATA/test-waiting.yaml" --create
expect_rc 0 "import at site 1"
on 1 repl init --listen "$(site_addr 1)"
expect_rc 0 "repl init"
for n in 2 3; do
	on $n repl join --listen "$(site_addr $n)" --helper "$(site_addr 1)" --priority 0
	expect_rc 0 "repl join of site $n with priority 0"
	on $n repl status --json
	expect_rc 0 "repl status at site $n"
	[ "$(json "['electable']")" = False ] || fail "site $n, joined with priority 0, says it is electable: $(cat "$work/out")"
done

on 1 deadline test-waiting task1 1h --actor with-both
expect_rc 0 "a change at the master with both replicas up"

for n in 2 3; do kill -STOP "$(site_pid $n)"; done
on 1 deadline test-waiting task1 2h --actor with-none
expect_rc 3 "a change at the master with both replicas stopped"
expect_err "not durable on a quorum"

kill -CONT "$(site_pid 2)"
on 1 deadline test-waiting task1 3h --actor with-one
expect_rc 0 "a change at the master with site 2 let go"
has_change() {
	on 2 history test-waiting --json --limit 0
	[ "$rc" -eq 0 ] && grep -q '"with-one"' "$work/out"
}
wait_for 10 has_change || fail "site 2 lacks the change it acknowledged"
kill -CONT "$(site_pid 3)"
finish
