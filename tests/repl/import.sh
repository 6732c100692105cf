#!/bin/sh
# import.sh - an import of several frames at a replica: the replica holds
# its frames, then the master makes it whole, in one transaction; it is
# acknowledged with every execution, and the replica shows them all when
# the command returns.  All or nothing: one refused in its last frame, or a
# client killed between frames, leaves none of it on any site.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

# count SITE PREFIX: how many executions of that prefix a site holds
count() { "$SEECTL" --home "$(site_home "$1")" list --limit 1000000 --json 2>/dev/null | grep -c "\"id\": *\"$2-"; }
# rss SITE: the memory of a site's server (kB)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$(site_pid "$1")/status" 2>/dev/null || echo 0; }

# a commit of 21 MB of log waits for a quorum's acks: 10 s, not 1 (under a
# sanitizer, on a loaded machine)
on 1 import "$DATA/test-waiting.yaml" --create
expect_rc 0 "import at site 1"
on 1 repl init --listen "$(site_addr 1)" --ack-timeout 10000
expect_rc 0 "repl init"
for s in 2 3; do
	on $s repl join --listen "$(site_addr $s)" --helper "$(site_addr 1)" --ack-timeout 10000
	expect_rc 0 "repl join of site $s"
done
total=700 # about 21 MB: two frames of 16 MB
big_import "$work/big.yaml" $total fr

# ---- acknowledged whole, visible at the replica on return ----
on 2 import "$work/big.yaml"
expect_rc 0 "an import of two frames at a replica"
expect_out "imported $total executions"
[ "$(count 2 fr)" -eq $total ] || fail "site 2 shows $(count 2 fr) of the $total executions when the import returned"
[ "$(count 1 fr)" -eq $total ] || fail "the master holds $(count 1 fr) of the $total executions"
all3() { [ "$(count 3 fr)" -eq $total ]; }
wait_for 20 all3 || fail "site 3 holds $(count 3 fr) of the $total executions"
on 2 verify
expect_rc 0 "verify at site 2"

# ---- one refused in its last frame: nothing of it anywhere ----
big_import "$work/bad.yaml" $total fz
sed 1d "$DATA/test-waiting.yaml" >>"$work/bad.yaml" # an execution that exists, last
on 2 import "$work/bad.yaml"
expect_rc 1 "an import whose last frame is refused, at a replica"
expect_err "execution 'test-waiting' already exists"
expect_one_line
for s in 1 2 3; do
	[ "$(count $s fz)" -eq 0 ] || fail "site $s holds $(count $s fz) executions of a refused import"
done

# ---- its client killed between its frames: nothing of it anywhere ----
big_import "$work/cut.yaml" $total fc
base=$(rss 2)
"$SEECTL" --home "$(site_home 2)" import "$work/cut.yaml" >/dev/null 2>&1 &
imp=$!
i=0
while [ "$(rss 2)" -lt $((base + 15000)) ] && kill -0 $imp 2>/dev/null && [ $i -lt 1000 ]; do
	sleep 0.01
	i=$((i + 1))
done
kill -0 $imp 2>/dev/null || fail "the import ended before its first frame was held: the cut was not between frames"
kill -9 $imp
wait $imp 2>/dev/null
sleep 2
for s in 1 2 3; do
	[ "$(count $s fc)" -eq 0 ] || fail "site $s holds $(count $s fc) executions of an import cut between frames"
done
# the replica takes changes as before
on 2 import "$work/cut.yaml"
expect_rc 0 "the same import again"
[ "$(count 2 fc)" -eq $total ] || fail "site 2 shows $(count 2 fc) of the $total executions"
finish
