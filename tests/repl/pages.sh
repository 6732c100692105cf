#!/bin/sh
# pages.sh - a replica's list follows the group's changes: the newest page of
# a list, which a server keeps until its store's next change, is read again
# at a replica once the master's log brought a change (a replica commits
# nothing itself), and after a change made through that replica as soon as
# its command returns.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

make_group

# each replica's server keeps the page listed here
for n in 2 3; do
	on $n list
	expect_rc 0 "list at site $n"
	expect_out "waiting-for-input"
done

# ---- a change at the master ----
on 1 cancel test-waiting --reason "cancelled at the master"
expect_rc 0 "cancel at the master"
for n in 2 3; do
	wait_for 10 sh -c "'$SEECTL' --home '$(site_home $n)' show test-waiting | grep -q 'cancelled at the master'" ||
		fail "the master's cancel never reached site $n"
	on $n list
	expect_rc 0 "list at site $n after the master's cancel"
	expect_out "failed"
	expect_no_out "waiting-for-input"
	on $n list --status waiting-for-input
	expect_no_out "test-waiting"
done

# ---- a change through a replica: its list shows it when the command returns ----
on 2 import "$DATA/test-waiting.yaml" --replace
expect_rc 0 "import --replace through site 2"
on 2 list
expect_out "waiting-for-input"
expect_no_out "failed"
on 2 delete test-waiting
expect_rc 0 "delete through site 2"
on 2 list
expect_rc 0 "list at site 2 after its delete"
expect_no_out "test-waiting"
finish
