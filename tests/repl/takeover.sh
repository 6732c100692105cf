#!/bin/sh
# takeover.sh - the master's work goes with its role: a deadline set before
# a failover fires once, at the new master (replicas run no timer: it fires
# nowhere else), and a notification whose hook the killed master had not run
# runs at the new one, and only there.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

make_group
hook=$work/hook.sh
printf '#!/bin/sh\necho "$SEETOP_EVENT $SEETOP_EXECUTION" >> %s/ran\n' "$work" >"$hook"
chmod +x "$hook"
on 1 notify add --on timeout -- "$hook"
expect_rc 0 "notify add at the master"

# a replica's timer never fires: the deadline waits for the master's
on 1 deadline test-waiting task1 4s
expect_rc 0 "a 4 s deadline at the master"
old=$(site_pid 1)
kill -9 "$old"
elected() { [ "$(role_of 2)" = master ] || [ "$(role_of 3)" = master ]; }
wait_for 30 elected || fail "no new master within 30 s"
[ "$(role_of 2)" = master ] && new=2 || new=3
fired() { "$SEECTL" --home "$(site_home $new)" history test-waiting 2>/dev/null | grep -q ' timeout '; }
wait_for 30 fired || fail "the deadline never fired at the new master (site $new)"
ran() { grep -q "timeout test-waiting" "$work/ran" 2>/dev/null; }
wait_for 30 ran || fail "the timeout's notification never ran at the new master"
sleep 2
[ "$(grep -c "timeout test-waiting" "$work/ran")" -eq 1 ] ||
	fail "the notification ran $(grep -c "timeout test-waiting" "$work/ran") times, not once (only the master runs them)"
for n in 2 3; do
	on $n history test-waiting
	[ "$(grep -c ' timeout ' "$work/out")" -eq 1 ] ||
		fail "site $n holds $(grep -c ' timeout ' "$work/out") timeout events, not 1"
done
finish
