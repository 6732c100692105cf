#!/usr/bin/env bash
# versions.sh - a long read leaves no lasting cost: while an export's
# snapshot is open, Berkeley DB keeps a copy of each page a write changes,
# in chains that every later write of those pages walks; they stay in the
# cache after the snapshot ends.  The server then renews its cache, once no
# snapshot is open, so that an engine's changes after an export held for 3 s
# (its reader stalled: here, a pipe nobody reads) run as fast as before it.
# Without the renewal they ran at a quarter of that speed until the server
# restarted.  The speeds are measured in the same run (a ratio).
. "$(dirname "$0")/lib.sh"
WRITER=$top_builddir/tests/bench/fanout_writer
[ -x "$WRITER" ] || fail "no $WRITER: run through make check"
[ "$failures" -eq 0 ] || finish

run gen --executions 3000
expect_rc 0 "gen 3,000 executions"
cat >"$work/writer.yaml" <<'EOF'
executions:
- id: aaa-writer
  workflow_name: A writer's execution
  start_timestamp: 2025-01-01T00:00:00Z
  status: running
  tasks:
  - {task_id: t1, status: pending}
EOF
run import "$work/writer.yaml"
expect_rc 0 "import the writer's execution"
rate() { "$WRITER" "$SEETOP_HOME" aaa-writer t1 rate "$1" | awk '{ printf "%.0f", $2 / $4 }'; }

rate 1 >/dev/null # warm
before=$(rate 1)
# an export whose reader stops reading: its snapshot stays open between
# pages while the writer goes on
("$SEECTL" export 2>/dev/null | sleep 3) &
reader=$!
sleep 0.2
during=$(rate 2.5)
wait $reader
sleep 1.2 # a turn of the server's loop
after=$(rate 1)
after2=$(rate 1)
[ "$after2" -gt "$after" ] && after=$after2
echo "writer: $before changes/s before, $during while an export was held open, $after after it ended (load $(cut -d' ' -f1 /proc/loadavg))"
grep -q "the cache was renewed" "$SEETOP_HOME/server.log" || fail "server.log does not say the cache was renewed after the export"
awk -v b="$before" -v a="$after" 'BEGIN { exit !(a >= 0.6 * b) }' ||
	fail "after a long export the writer ran at $after changes/s, $(awk -v b="$before" -v a="$after" 'BEGIN { printf "%.2f", a / b }') of its $before before it (expected at least 0.6)"
run verify
expect_rc 0 "verify after the renewal"
"$SEECTL" server stop >/dev/null
finish
