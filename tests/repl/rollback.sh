#!/bin/sh
# rollback.sh - a master cut off from the others (SIGSTOP stands for the
# partition): a change it commits alone is answered "not durable on a
# quorum", never as done; the others elect a new master and take changes;
# when the old master comes back it is a replica, every site holds the same
# trail, and nothing acknowledged anywhere is lost.  (The lone change may
# survive: its log records sat in the stopped sites' socket buffers and
# reached them when they ran again; what matters is that the sites agree and
# that its client never heard "done".)
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

on 1 import "$DATA/test-waiting.yaml" --create
on 1 repl init --listen "$(site_addr 1)" --ack-timeout 300 --heartbeat 200
expect_rc 0 "repl init"
for n in 2 3; do
	on $n repl join --listen "$(site_addr $n)" --helper "$(site_addr 1)" --heartbeat 200
	expect_rc 0 "join of site $n"
done
on 1 deadline test-waiting task1 1h
expect_rc 0 "a change with its quorum"

# the master alone: its change is not done
kill -STOP "$(site_pid 2)" "$(site_pid 3)"
on 1 respondents test-waiting task1 alice
expect_rc 3 "a change the master made alone"
expect_err "not durable on a quorum"
# the master is cut off in turn; the other two elect one of them
kill -STOP "$(site_pid 1)"
kill -CONT "$(site_pid 2)" "$(site_pid 3)"
elected() { [ "$(role_of 2)" = master ] || [ "$(role_of 3)" = master ]; }
wait_for 30 elected || fail "sites 2 and 3 elected no master"
[ "$(role_of 2)" = master ] && new=2 || new=3
on $new deadline test-waiting task1 5h
expect_rc 0 "a change at the new master"
# the old master comes back: a replica, without its lone change
kill -CONT "$(site_pid 1)"
back() { [ "$(role_of 1)" = replica ]; }
wait_for 30 back || fail "the old master came back as $(role_of 1), not a replica"
caught_up() { [ "$("$SEECTL" --home "$(site_home 1)" history test-waiting 2>/dev/null | grep -c ' deadline ')" -eq 2 ]; }
wait_for 30 caught_up || fail "the old master never received the new master's change"
for n in 1 2 3; do
	on $n history test-waiting
	expect_rc 0 "history at site $n"
	[ "$(grep -c ' deadline ' "$work/out")" -eq 2 ] ||
		fail "site $n holds $(grep -c ' deadline ' "$work/out") of the 2 acknowledged deadline changes"
	cut -c1-200 "$work/out" >"$work/trail$n"
	on $n verify
	expect_rc 0 "verify at site $n"
done
cmp -s "$work/trail1" "$work/trail2" && cmp -s "$work/trail2" "$work/trail3" ||
	fail "the sites' trails differ: $(diff "$work/trail1" "$work/trail2"; diff "$work/trail2" "$work/trail3")"
grep -q "replication: this site .* is now replica" "$(site_home 1)/server.log" ||
	fail "the old master's log does not say it became a replica"
finish
