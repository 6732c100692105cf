#!/bin/sh
# wake.sh - a replica stopped (SIGSTOP) for more than three heartbeats takes
# its master for lost; once let go, it finds the master again and takes
# changes, even when that master is a site whose server was killed and
# started again since the replica first spoke to it (two failovers: site 1,
# site 2, then site 1 again, in a new process), and even when the master
# stays the same (site 3 cannot be elected): Berkeley DB then announces no
# new master, and the replica must not refuse changes with "no master
# (election in progress)" while its Berkeley DB knows one.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

HB=500
on 1 import "$DATA/test-waiting.yaml" --create
expect_rc 0 "import at site 1"
on 1 repl init --listen "$(site_addr 1)" --heartbeat $HB
expect_rc 0 "repl init"
on 2 repl join --listen "$(site_addr 2)" --helper "$(site_addr 1)" --heartbeat $HB
expect_rc 0 "repl join of site 2"
on 3 repl join --listen "$(site_addr 3)" --helper "$(site_addr 1)" --heartbeat $HB --priority 0
expect_rc 0 "repl join of site 3 (never master)"
# seectl says what priority 0 costs (its acknowledgements do not count)
expect_err "do not count towards a quorum"
! grep -q "do not count" "$work/out" || fail "the note on priority 0 went to standard output"
is_master() { [ "$(role_of "$1")" = master ]; }
in_step() { on "$1" repl status --json && [ "$(json "['role']")" = replica ] && [ "$(json "['lag_ms']")" = 0 ]; }
wait_for 20 in_step 3 || fail "site 3 is not in step: $(cat "$work/out")"
on 3 deadline test-waiting task1 3601s
expect_rc 0 "a change through site 3 before the failovers"

# two failovers: site 2 takes over from site 1, then site 1 (in a new
# process) from site 2
kill -9 "$(site_pid 1)"
wait_for 30 is_master 2 || fail "site 2 was not elected after site 1's kill"
wait_for 30 in_step 1 || fail "site 1, started again, is not in step: $(cat "$work/out")"
kill -9 "$(site_pid 2)"
wait_for 30 is_master 1 || fail "site 1 was not elected after site 2's kill"
wait_for 30 in_step 2 || fail "site 2, started again, is not in step: $(cat "$work/out")"
wait_for 30 in_step 3 || fail "site 3 is not in step with site 1: $(cat "$work/out")"

# site 3 stopped for 6 heartbeats, then let go
kill -STOP "$(site_pid 3)"
sleep 3
kill -CONT "$(site_pid 3)"
changed() { on 3 deadline test-waiting task1 3602s && [ "$rc" -eq 0 ]; }
wait_for 20 changed || fail "site 3 refuses changes 20 s after it was let go: $(cat "$work/err")"
on 3 repl status --json
expect_rc 0 "repl status at site 3"
m=$(json "['master']")
{ [ "$m" = "$(site_addr 1)" ] && is_master 1; } || { [ "$m" = "$(site_addr 2)" ] && is_master 2; } ||
	fail "site 3 does not name the group's master: $(cat "$work/out")"
finish
