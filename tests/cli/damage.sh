#!/usr/bin/env bash
# Hostile conditions: damaged database files, homes the user cannot use, a
# home whose server several clients start at once, an execution of 10,000
# tasks, and a database file its server may not open (the message names it,
# that server leaves when idle, and server stop tells the truth about it).
# (A full disk is in server.sh.)
. "$(dirname "$0")/lib.sh"

run import "$top_srcdir/assets/demo.yaml"
expect_rc 0 "import the demo"

# ---- 10,000 tasks in one execution ----
python3 - "$work/wide.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("executions:\n  - id: wide\n    workflow_name: Wide\n    start_timestamp: 2025-01-01T00:00:00Z\n")
    f.write("    status: waiting-for-input\n    is_paused: true\n    paused_task_id: t09999\n    tasks:\n")
    for i in range(10000):
        st = "waiting-for-input" if i == 9999 else "complete"
        f.write(f"      - {{task_id: t{i:05d}, status: {st}, logs: [\"\\e[2J line {i}\"]}}\n")
PY
run import "$work/wide.yaml"
expect_rc 0 "import 10,000 tasks"
run show --json wide
[ "$(json "['tasks'].__len__()")" = 10000 ] || fail "10,000 tasks came back as $(json "['tasks'].__len__()")"
run resume wide t09999
expect_rc 0 "resume the last of 10,000 tasks"
run show wide
if LC_ALL=C grep -q $'\e' "$work/out"; then fail "show printed a raw ESC"; fi

# ---- damaged database files ----
cp -r "$SEETOP_HOME" "$work/damaged"
: >"$work/damaged/executions.db"
run --home "$work/damaged" list
expect_rc 3 "a truncated executions.db"
expect_one_line
expect_err "executions.db"
expect_err "restore it from a backup or run db_recover"
# the same error exits the same way in seetop (one map: it was 1 there)
"$top_builddir/tui/seetop" --home "$work/damaged" -b >/dev/null 2>"$work/err"
rc=$?
expect_rc 3 "seetop on a truncated executions.db"
expect_err "executions.db"
cp -r "$SEETOP_HOME" "$work/garbage"
head -c 16384 /dev/urandom >"$work/garbage/tasks.db"
run --home "$work/garbage" show wide
[ "$rc" -eq 3 ] || [ "$rc" -eq 1 ] || fail "an overwritten tasks.db: exit $rc"
expect_one_line
rm -f "$work/damaged/meta.db"
run --home "$work/damaged" --read-only list
[ "$rc" -ne 0 ] || fail "a home without meta.db opened"
expect_one_line

# ---- a home restored from a backup of data and logs, opened by several at
# once: they all try to start its server, one does, and every one of them
# is served ----
cp -r "$SEETOP_HOME" "$work/restored"
: >"$work/restored/server.log"
for round in 1 2 3 4 5; do
	"$SEECTL" --home "$work/restored" server stop >/dev/null 2>&1
	rm -f "$work/restored/server.sock" "$work/restored/server.lock"
	for w in 1 2 3 4; do
		"$SEECTL" --home "$work/restored" show wide >"$work/race.$w" 2>&1 &
	done
	wait
	for w in 1 2 3 4; do
		grep -qE "^execution +wide" "$work/race.$w" ||
			fail "round $round, opener $w of a home without a server: $(head -2 "$work/race.$w")"
	done
	[ "$(grep -c "server starting" "$work/restored/server.log")" -eq "$round" ] ||
		fail "round $round: $(grep -c "server starting" "$work/restored/server.log") servers started"
done
"$SEECTL" --home "$work/restored" server stop >/dev/null 2>&1

# ---- permissions ----
perm=$(stat -c %a "$SEETOP_HOME")
[ "$perm" = 700 ] || fail "the home is $perm, not 700"
for f in "$SEETOP_HOME"/*.db; do
	p=$(stat -c %a "$f")
	[ "$p" = 600 ] || fail "$(basename "$f") is $p, not 600"
done
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# another user cannot read the home at all
	chmod 755 "$work"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SEECTL" --home "$SEETOP_HOME" list >"$work/out" 2>"$work/err"
	rc=$?
	expect_rc 3 "another user opening a private home"
	expect_err "Permission denied"
	expect_one_line
	# a monitoring user: the owner gives the home's group read access to
	# the directory (README: chgrp GROUP DIR; chmod 750 DIR); members of
	# the group then connect, read-only, and no file becomes writable to them
	"$SEECTL" list >/dev/null
	chgrp 65534 "$SEETOP_HOME"
	chmod 750 "$SEETOP_HOME"
	sleep 1.2 # the server gives its socket the directory's group
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SEECTL" --home "$SEETOP_HOME" paused >"$work/out" 2>"$work/err"
	rc=$?
	expect_rc 0 "a member of the home's group reads"
	expect_out "deploy-prod-4821"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SEECTL" --home "$SEETOP_HOME" pause nightly-etl-1190 load >"$work/out" 2>"$work/err"
	rc=$?
	expect_rc 1 "a member of the home's group tries a change"
	expect_err "read-only for this user"
	expect_one_line
	for f in "$SEETOP_HOME"/*; do
		[ -S "$f" ] && continue
		p=$(stat -c %a "$f")
		[ "${p:1:1}" = 0 ] && [ "${p:2:1}" = 0 ] || fail "$(basename "$f") is $p: open to others than the owner"
	done
	chmod 700 "$SEETOP_HOME"
fi
# ---- a file the server may not open: named, never called damage ----
# (as another user than root, for whom a file's mode means something)
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	fail "a file the server may not open: this part needs root and setpriv (util-linux) to run as another user"
else
	nh=$work/nobody-home
	mkdir "$nh"
	chown 65534:65534 "$nh"
	chmod 755 "$work"
	chmod 644 "$work/none.yaml"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$SEECTL" --home "$nh" "$@" >"$work/out" 2>"$work/err"; rc=$?; }
	alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
	as_nobody import "$DATA/test-waiting.yaml"
	expect_rc 0 "another user's home"
	as_nobody server stop
	chmod 000 "$nh/executions.db"
	as_nobody list
	expect_rc 3 "a database file its server may not open"
	expect_err "permission denied on executions.db"
	expect_one_line
	grep -qiE "damaged|restore" "$work/err" && fail "a permission is called damage: $(cat "$work/err")"
	pid=$(head -1 "$nh/server.lock")
	alive "$pid" || fail "no server answered (server.lock names '$pid')"
	# server stop says stopped only once the process is gone
	as_nobody server stop
	expect_rc 0 "server stop of a server that cannot open its home"
	expect_out "stopped"
	alive "$pid" && fail "server stop said '$(cat "$work/out")' and the server (pid $pid) still runs"
	# such a server leaves by itself when idle
	as_nobody list
	expect_rc 3 "again"
	pid=$(head -1 "$nh/server.lock")
	for _ in $(seq 1 60); do alive "$pid" || break; sleep 0.1; done
	alive "$pid" && fail "a server that cannot open its home still runs 6 s after its last client"
	# once the cause is gone, the next command works (with the failed server still up)
	as_nobody list
	expect_rc 3 "before the fix"
	chmod 600 "$nh/executions.db"
	as_nobody list
	expect_rc 0 "the next command once the file is readable again"
	expect_out "test-waiting"
	as_nobody server stop
	expect_out "stopped"
fi
finish
