#!/bin/sh
# group.sh - three sites on loopback: a change at the master reaches both
# replicas; a change at a replica is made once, at the master, and is read
# back at that replica as soon as its command returns; kill -9 of the
# master: the others elect a new one and take changes, and the killed site
# comes back as a replica and catches up.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

make_group

on 2 repl status --json
expect_rc 0 "repl status at a replica"
[ "$(json "['role']")" = replica ] || fail "site 2 is $(json "['role']"), not a replica"
[ "$(json "['master']")" = "$(site_addr 1)" ] || fail "site 2's master is $(json "['master']"), not $(site_addr 1)"
[ "$(json "['group_sites']")" = 3 ] || fail "site 2 sees $(json "['group_sites']") sites, not 3"
on 1 repl status
expect_rc 0 "repl status at the master"
expect_out "role       master"

# ---- a change at the master reaches both replicas ----
# (and a replica's followers hear of it: the server pushes what the
# master's log brought)
# (the follower subscribes, then prints the trail so far: once its import
# event shows, the change below can only reach it by a push; without one it
# would look by itself after 30 s, FOLLOW_IDLE_MS in cli/follow.c)
"$SEECTL" --home "$(site_home 3)" history test-waiting --follow >"$work/follow3" 2>&1 &
follower=$!
subscribed() { grep -q ' import ' "$work/follow3"; }
wait_for 20 subscribed || fail "a follower at replica 3 never printed the trail so far: $(cat "$work/follow3")"
on 1 deadline test-waiting task1 2h
expect_rc 0 "deadline at the master"
pushed() { grep -q ' deadline ' "$work/follow3"; }
wait_for 10 pushed || fail "a follower at replica 3 did not hear of the master's change within 10 s: $(cat "$work/follow3")"
kill "$follower" 2>/dev/null
for n in 2 3; do
	wait_for 10 sh -c "'$SEECTL' --home '$(site_home $n)' show test-waiting | grep -q 'deadline'" ||
		fail "the master's deadline never reached site $n"
done

# ---- a change at a replica: made at the master, read back at once ----
# (20 times: the quorum's one ack may come from the other replica, so only
# the wait for its own copy makes the replica show each one)
for i in $(seq 1 20); do
	on 2 deadline test-waiting task1 ${i}h
	expect_rc 0 "deadline $i at replica 2"
	n=$("$SEECTL" --home "$(site_home 2)" history test-waiting | grep -c ' deadline ')
	[ "$n" -eq $((i + 1)) ] || fail "replica 2 shows $n deadline events right after its change $i, not $((i + 1))"
done
on 2 resume test-waiting task1 --input true
expect_rc 0 "resume at replica 2"
on 2 show test-waiting
expect_out "task1"
grep -q "in-progress" "$work/out" || fail "replica 2 does not show its own resume when the command returns: $(cat "$work/out")"
on 1 history test-waiting
[ "$(grep -c 'resume-task' "$work/out")" -eq 1 ] || fail "the master's trail holds $(grep -c 'resume-task' "$work/out") resumes, not 1"
on 1 verify
expect_rc 0 "verify at the master"
wait_for 10 sh -c "'$SEECTL' --home '$(site_home 3)' history test-waiting | grep -q resume-task" ||
	fail "the resume made through site 2 never reached site 3"

# ---- kill -9 of the master ----
old=$(site_pid 1)
start=$(date +%s%N)
kill -9 "$old"
# the survivors elect a master and take a change again
elected() { r2=$(role_of 2); r3=$(role_of 3); [ "$r2" = master ] || [ "$r3" = master ]; }
wait_for 30 elected || fail "no new master among sites 2 and 3 within 30 s (site 2: $r2, site 3: $r3)"
[ "$r2" = master ] && new=2 || new=3
other=$((5 - new))
changed() { "$SEECTL" --home "$(site_home $other)" cancel test-waiting --reason "after the failover" >/dev/null 2>&1; }
wait_for 30 changed || fail "no change accepted through site $other within 30 s of the kill"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "failover: ${ms} ms from kill -9 of the master to an acknowledged change through a replica"
on $new show test-waiting
expect_out "cancel"
# the killed site comes back (any command starts its server) as a replica
on 1 repl status --json
expect_rc 0 "repl status at the killed site"
back() { [ "$(role_of 1)" = replica ]; }
wait_for 30 back || fail "the killed site came back as $(role_of 1), not a replica"
caught_up() { "$SEECTL" --home "$(site_home 1)" history test-waiting 2>/dev/null | grep -q cancel; }
wait_for 30 caught_up || fail "the killed site never caught up with the change made without it"
for n in 1 2 3; do
	on $n verify
	expect_rc 0 "verify at site $n"
done
on 1 history test-waiting
[ "$(grep -c 'cancel' "$work/out")" -eq 1 ] || fail "site 1's trail holds $(grep -c cancel "$work/out") cancels, not 1"
finish
