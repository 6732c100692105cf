#!/bin/sh
# partition.sh - the master cut off from the other two by the network (each
# site in a network namespace of its own, the master's link set down):
# - its clients get no success: after the ack timeout, exit 3 with "not
#   durable on a quorum" (or "no master");
# - the other two elect a master and take changes, at it and through the
#   other replica;
# - once the link is up again, the old master is a replica; what it committed
#   alone is rolled back (nowhere in any trail, never shown as done), and
#   nothing acknowledged anywhere is lost;
# - the rollback invalidates the old master's database handles
#   (DB_REP_HANDLE_DEAD): its server opens them again, so that its clients
#   read on, a dashboard that stayed connected shows the next change, and a
#   change through it is made;
# - verify is clean, and the trails are the same, at every site.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/netns.sh"

make_ns_group --ack-timeout 500 --heartbeat 200
# change_at SITE ACTOR DURATION: a deadline change at a site, its audit
# event recognised by its actor; refused (a forwarded change whose answer
# timed out, say), it is tried again within 20 s as a change of its own
# (ACTOR-again2, ...): the acknowledged one must be in every trail once,
# a refused one at most once
: >"$work/acked"
: >"$work/refused"
change_at() {
	a=$2 k=1 until=$(( $(date +%s) + 20 ))
	while :; do
		on "$1" deadline test-waiting task1 "$3" --actor "$a"
		[ "$rc" -eq 0 ] && { echo "$a" >>"$work/acked"; return 0; }
		echo "$a" >>"$work/refused"
		echo "a change at site $1 refused, tried again: $(cat "$work/err")"
		[ "$(date +%s)" -lt "$until" ] || return 1
		k=$((k + 1)) a=$2-again$k
		sleep 0.2
	done
}
on 1 deadline test-waiting task1 1h
expect_rc 0 "a change with its quorum"
# a dashboard on the master, connected throughout (history --follow)
: >"$work/follow"
bg_in_site 1 "$work/follow" "$SEECTL" --home "$(site_home 1)" history --follow
follower=$bg_pid
server1=$(site_pid 1)
wait_for 10 grep -q ' deadline ' "$work/follow" || fail "the dashboard at site 1 never showed the first change"

# the partition: the master alone commits, but no quorum acknowledges
cut_site 1
t0=$(date +%s%N)
on 1 deadline test-waiting task1 2h --actor lone-change
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" -ne 0 ] || fail "the cut-off master acknowledged a change"
expect_rc 3 "a change at the cut-off master"
grep -qE "not durable on a quorum|no master" "$work/err" || fail "the cut-off master's error: $(cat "$work/err")"
expect_one_line
[ "$ms" -ge 450 ] || fail "the cut-off master answered after $ms ms, before its 500 ms ack timeout"
echo "the cut-off master answered in $ms ms: $(cat "$work/err")"

# the other two elect a master and take changes
elected() { [ "$(role_of 2)" = master ] || [ "$(role_of 3)" = master ]; }
wait_for 30 elected || fail "sites 2 and 3 elected no master"
[ "$(role_of 2)" = master ] && new=2 || new=3
other=$(( 5 - new ))
echo "site $new is the new master"
change_at $new new-master-change 5h || fail "no change at the new master (site $new)"
change_at $other majority-change 3h || fail "no change through the other replica (site $other)"
# the cut-off master still refuses: it holds no quorum
on 1 deadline test-waiting task1 7h --actor lone-change
[ "$rc" -ne 0 ] || fail "the cut-off master acknowledged a second change"

# the heal: the old master becomes a replica and catches up
heal_at=$(date -u +%Y-%m-%dT%H:%M:%S)
heal_site 1
back() { [ "$(role_of 1)" = replica ]; }
wait_for 40 back || fail "the old master is $(role_of 1) after the heal, not a replica"
has_majority() { in_site 1 "$SEECTL" --home "$(site_home 1)" history test-waiting 2>/dev/null | grep -q 'majority-change'; }
wait_for 30 has_majority || fail "the old master never received the majority's changes"

# its handles died with the rollback: reads at it go on
on 1 show test-waiting
expect_rc 0 "a read at the old master after the heal"
expect_out "majority-change"
expect_no_out "lone-change"
on 1 list
expect_rc 0 "a list at the old master after the heal"
# a change through it, and its dashboard shows it
change_at 1 after-heal 4h || fail "no change through the old master after the heal"
wait_for 10 grep -q 'after-heal' "$work/follow" ||
	fail "the dashboard connected to the old master did not show the change made after the heal: $(tail -3 "$work/follow")"
bg_stop "$follower"
[ "$(site_pid 1)" = "$server1" ] ||
	fail "the old master's server did not live through the heal (pid $server1, now $(site_pid 1)): $(tail -5 "$(site_home 1)/server.log")"
if grep -q 'lone-change' "$work/follow"; then
	echo "the dashboard showed the lone change while it was committed at the cut-off master"
fi

synced() {
	for n in 1 2 3; do
		in_site $n "$SEECTL" --home "$(site_home $n)" history test-waiting 2>/dev/null | grep -q after-heal || return 1
	done
}
wait_for 30 synced || fail "the change after the heal did not reach every site"
for n in 1 2 3; do
	on $n history test-waiting
	expect_rc 0 "history at site $n"
	for m in $(cat "$work/acked"); do
		c=$(grep -c " $m " "$work/out")
		[ "$c" -eq 1 ] || fail "site $n holds the change of '$m' $c times, not once"
	done
	for m in $(cat "$work/refused"); do
		c=$(grep -c " $m " "$work/out")
		[ "$c" -le 1 ] || fail "site $n holds the refused change of '$m' $c times"
	done
	! grep -q 'lone-change' "$work/out" || fail "site $n shows the change the cut-off master made alone"
	cut -c1-200 "$work/out" >"$work/trail$n"
	on $n verify
	expect_rc 0 "verify at site $n"
done
cmp -s "$work/trail1" "$work/trail2" && cmp -s "$work/trail2" "$work/trail3" ||
	fail "the sites' trails differ: $(diff "$work/trail1" "$work/trail2"; diff "$work/trail2" "$work/trail3")"
grep -q "replication: this site .* is now replica" "$(site_home 1)/server.log" ||
	fail "the old master's log does not say it became a replica"
grep -q "replication: the databases were opened again" "$(site_home 1)/server.log" ||
	fail "the old master's log does not say its databases were opened again after the rollback"
# once a replica after the heal, the old master stays one: its handles were
# opened again in the same environment, where closing and opening the whole
# environment again would leave its group a moment (no master meanwhile)
awk -v t="$heal_at" '$1 >= t' "$(site_home 1)/server.log" >"$work/after-heal.log"
sed -n '/is now replica;/,$p' "$work/after-heal.log" | grep 'without a master' &&
	fail "the old master lost its master again after rejoining as a replica: $(cat "$work/after-heal.log")"
finish
