#!/bin/sh
# resend.sh - exactly once across a failover: the master commits an
# engine's change (a log line sent through a replica), a quorum holds it,
# and the master dies before anyone hears of it (SEESTORE_TEST_DIE_AFTER_COMMIT
# makes the server exit at that point).  The replica tells the engine to
# send it again; the engine sends the same frame under the same request id,
# and the new master finds that id in requests.db (which replicated with
# the change) and answers done without making it twice: the engine hears
# success, the line is in the task's log once at every site, and the new
# master made no second commit (it would have died too).
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"
TOOL=$top_builddir/tests/crash/crashtool

cat >"$work/resend.yaml" <<'YAML'
executions:
- id: resend-1
  workflow_name: Resend
  start_timestamp: 2025-01-01T00:00:00Z
  status: running
  tasks:
  - {task_id: t1, status: in-progress}
YAML
# every server is started with the fault: whichever makes a change to
# resend-1 dies after its commit, never after a resend found by its id
export SEESTORE_TEST_DIE_AFTER_COMMIT=resend-1

# a single home first: the client sends the frame again to the server it
# starts anew, which answers as the first would have
"$SEECTL" --home "$work/single" import "$work/resend.yaml" --create >/dev/null 2>&1
out=$("$TOOL" log "$work/single" resend-1 t1 "the line sent once" 2>"$work/log.err")
[ "$out" = "count 1" ] || fail "a single home: the engine heard '$out' ($(cat "$work/log.err")), not 'count 1'"
grep -q "exiting before answering a change to 'resend-1'" "$work/single/server.log" ||
	fail "a single home: the server did not exit before answering"
run --home "$work/single" logs resend-1 t1
[ "$(grep -c 'the line sent once' "$work/out")" -eq 1 ] ||
	fail "a single home holds the line $(grep -c 'the line sent once' "$work/out") times"
run --home "$work/single" server stop

make_group "$work/resend.yaml"
[ "$(role_of 1)" = master ] || fail "site 1 is not the master: $(role_of 1)"
[ "$failures" -eq 0 ] || finish
master_pid=$(site_pid 1)

out=$("$TOOL" log "$(site_home 2)" resend-1 t1 "the line sent once" 2>"$work/log.err")
rc=$?
[ "$rc" -eq 0 ] || fail "the engine's log line through site 2 failed (exit $rc): $(cat "$work/log.err")"
[ "$out" = "count 1" ] || fail "the engine heard '$out', not 'count 1'"

# the master died where the fault says, after the commit
# (a server nobody reaped yet is a zombie: not running)
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) [ZX]' "/proc/$1/stat"; }
alive "$master_pid" && fail "site 1's server (pid $master_pid) is still running: the fault never fired"
grep -q "exiting before answering a change to 'resend-1'" "$(site_home 1)/server.log" ||
	fail "site 1's server.log does not say it exited before answering"

# the other two: a new master, which made no second commit
has_master() { [ "$(role_of 2)" = master ] || [ "$(role_of 3)" = master ]; }
wait_for 30 has_master ||
	fail "no new master among sites 2 and 3"
for n in 2 3; do
	grep -q "exiting before answering" "$(site_home $n)/server.log" &&
		fail "site $n's server committed the change again (and exited): the resend was not found in requests.db"
done

# the line once at every site, site 1 back as a replica
for n in 2 3 1; do
	wait_for 20 sh -c "'$SEECTL' --home '$(site_home $n)' logs resend-1 t1 2>/dev/null | grep -q 'the line sent once'" ||
		fail "site $n never holds the line"
	on $n logs resend-1 t1
	expect_rc 0 "logs at site $n"
	[ "$(grep -c 'the line sent once' "$work/out")" -eq 1 ] ||
		fail "site $n holds the line $(grep -c 'the line sent once' "$work/out") times"
	on $n verify
	expect_rc 0 "verify at site $n"
done
finish
