#!/usr/bin/env bash
# Hostile conditions: a full disk, damaged database files, homes the user
# cannot use, and an execution of 10,000 tasks.
. "$(dirname "$0")/lib.sh"

run import "$top_srcdir/assets/demo.yaml"
expect_rc 0 "import the demo"

# ---- a full disk: a file size limit makes the log write fail ----
python3 - "$work/big.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("executions:\n")
    for i in range(300):
        f.write(f"""  - id: bulk-{i:04d}
    workflow_name: Bulk
    start_timestamp: 2025-01-01T00:00:00Z
    status: running
    tasks:
      - task_id: t
        status: in-progress
        logs: ["{'z' * 60000}"]
""")
PY
before=$(home_sum "$SEETOP_HOME")
( ulimit -f 4096; trap '' XFSZ; "$SEECTL" import "$work/big.yaml" >"$work/out" 2>"$work/err"; echo $? >"$work/rc" )
rc=$(cat "$work/rc")
expect_rc 3 "an import that fills the disk"
expect_one_line
grep -qiE "too large|no space" "$work/err" || fail "the storage error does not say why: $(cat "$work/err")"
run verify
expect_rc 0 "the store is consistent after the disk filled"
run show bulk-0000
expect_rc 1 "nothing of the failed import is there"
run import "$work/big.yaml"
expect_rc 0 "the same import once space returns"
run verify
expect_rc 0 "verify after space returned"

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
cp -r "$SEETOP_HOME" "$work/garbage"
head -c 16384 /dev/urandom >"$work/garbage/tasks.db"
run --home "$work/garbage" show wide
[ "$rc" -eq 3 ] || [ "$rc" -eq 1 ] || fail "an overwritten tasks.db: exit $rc"
expect_one_line
rm -f "$work/damaged/meta.db"
run --home "$work/damaged" --read-only list
[ "$rc" -ne 0 ] || fail "a home without meta.db opened"
expect_one_line

# ---- a home restored without its region files, opened by several at once ----
# (a backup of data and logs only): one process creates the regions while
# the others wait for them, and every one of them opens
cp -r "$SEETOP_HOME" "$work/restored"
for round in 1 2 3 4 5; do
	rm -f "$work/restored"/__db.0*
	for w in 1 2 3 4; do
		"$SEECTL" --home "$work/restored" show wide >"$work/race.$w" 2>&1 &
	done
	wait
	for w in 1 2 3 4; do
		grep -qE "^execution +wide" "$work/race.$w" ||
			fail "round $round, opener $w of a home without regions: $(head -2 "$work/race.$w")"
	done
done

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
	# a monitoring user given the group: read-only works with write access to
	# the region files only (documented in the README)
	chmod 750 "$SEETOP_HOME"
	chmod 640 "$SEETOP_HOME"/*.db "$SEETOP_HOME"/log.*
	chmod 660 "$SEETOP_HOME"/__db.*
	chgrp -R 65534 "$SEETOP_HOME"
	chmod g+w "$SEETOP_HOME"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SEECTL" --home "$SEETOP_HOME" --read-only paused >"$work/out" 2>"$work/err"
	rc=$?
	expect_rc 0 "a read-only user with access to the region files"
	expect_out "deploy-prod-4821"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SEECTL" --home "$SEETOP_HOME" pause nightly-etl-1190 load >"$work/out" 2>"$work/err"
	rc=$?
	[ "$rc" -ne 0 ] || fail "a user without write access to the data files changed the store"
	expect_one_line
	chmod -R u+rwX,g-w "$SEETOP_HOME"
fi
finish
