#!/bin/sh
# quorum.sh - durable means held by a quorum.  With both replicas stopped
# (SIGSTOP), a change at the master is not acknowledged within the ack
# timeout: it is answered "not durable on a quorum" with exit 3, never as
# done, and repl status counts it.  Once they run again, the same change
# goes through.  With the master and one replica stopped, the last replica
# has no master: it refuses changes with "no master (election in progress)"
# and still serves reads.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

on 1 import "$DATA/test-waiting.yaml" --create
on 1 repl init --listen "$(site_addr 1)" --ack-timeout 300 --heartbeat 200
expect_rc 0 "repl init with a 300 ms ack timeout"
for n in 2 3; do
	on $n repl join --listen "$(site_addr $n)" --helper "$(site_addr 1)" --heartbeat 200
	expect_rc 0 "join of site $n"
done
on 1 repl status --json
[ "$(json "['ack_timeout_ms']")" = 300 ] || fail "the ack timeout is $(json "['ack_timeout_ms']"), not 300"
[ "$(json "['ack_policy']")" = quorum ] || fail "the ack policy is $(json "['ack_policy']")"

# a quorum answers: done
on 1 deadline test-waiting task1 1h
expect_rc 0 "a change with its quorum"

# no replica answers: not done
kill -STOP "$(site_pid 2)" "$(site_pid 3)"
on 1 deadline test-waiting task1 2h
expect_rc 3 "a change no quorum acknowledged"
expect_err "not durable on a quorum"
expect_one_line
on 1 repl status --json
[ "$(json "['unacknowledged_commits']")" -ge 1 ] || fail "repl status counts no unacknowledged commit"
kill -CONT "$(site_pid 2)" "$(site_pid 3)"
ok() { "$SEECTL" --home "$(site_home 1)" deadline test-waiting task1 3h >/dev/null 2>&1; }
wait_for 20 ok || fail "the master takes no durable change after its replicas run again"

# no master: the last replica refuses changes, and reads go on.  (Stopped
# longer than their heartbeat allows, sites 2 and 3 may have elected one of
# them meanwhile: the master is whichever site says so now.)
master_of() { "$SEECTL" --home "$(site_home "$1")" repl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["master"])'; }
settled() {
	m=""
	for n in 1 2 3; do [ "$(role_of $n)" = master ] && m="$m$n"; done
	[ ${#m} -eq 1 ] && [ "$(master_of 1)" = "$(master_of 2)" ] && [ "$(master_of 2)" = "$(master_of 3)" ]
}
wait_for 30 settled || fail "the group did not settle on one master"
last=$(( m == 3 ? 1 : 3 ))
stopped="$(site_pid "$m") $(site_pid $(( 6 - m - last )))"
kill -STOP $stopped
lost() { [ "$(master_of $last)" = None ]; }
wait_for 20 lost || fail "site $last still names a master with the master stopped: $(master_of $last)"
on $last repl status
expect_out "no master: election in progress"
on $last resume test-waiting task1 --input true
expect_rc 3 "a change without a master"
expect_err "no master (election in progress)"
expect_one_line
on $last show test-waiting
expect_rc 0 "a read without a master"
expect_out "test-waiting"
kill -CONT $stopped
back() { [ "$(master_of $last)" != None ]; }
wait_for 30 back || fail "site $last found no master again"
again() { "$SEECTL" --home "$(site_home $last)" cancel test-waiting --reason "a master again" >/dev/null 2>&1; }
wait_for 30 again || fail "no change through site $last once a master is back: $("$SEECTL" --home "$(site_home $last)" cancel test-waiting --reason again 2>&1; "$SEECTL" --home "$(site_home $last)" repl status 2>&1)"

# a replica whose master hangs still serves reads while a change it forwarded
# waits for an answer: the forwarding does not hold its loop
wait_for 30 settled || fail "the group did not settle on one master again"
r=$(( m == 1 ? 2 : 1 ))
kill -STOP "$(site_pid "$m")"
"$SEECTL" --home "$(site_home $r)" deadline test-waiting task1 4h >"$work/fwd.out" 2>&1 &
forwarder=$!
sleep 0.3
t0=$(date +%s%N)
on $r show test-waiting
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_rc 0 "a read at replica $r while its change waits on a stopped master"
[ "$ms" -lt 1500 ] || fail "a read at replica $r took $ms ms while a forwarded change waited (its loop was held)"
echo "a read at a replica while a forwarded change waits: $ms ms"
kill -CONT "$(site_pid "$m")"
wait "$forwarder"
echo "the change forwarded meanwhile: $(cat "$work/fwd.out")"
finish
