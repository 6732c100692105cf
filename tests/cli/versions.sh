#!/usr/bin/env bash
# versions.sh - a long read leaves no lasting cost: while an export's
# snapshot is open, Berkeley DB keeps a copy of each page a write changes,
# in chains that every later write of those pages walks; they stay in the
# cache after the snapshot ends.  The server then renews its cache, once no
# snapshot is open, so that an engine's changes after an export held for 3 s
# (its reader stalled: here, a pipe nobody reads) run as fast as before it.
# Without the renewal they ran at a quarter of that speed until the server
# restarted.  The speeds are measured in the same run (a ratio).  And an
# export left unused longer than the server keeps its snapshot fails at its
# next page, saying so.
. "$(dirname "$0")/lib.sh"
WRITER=$top_builddir/tests/bench/fanout_writer
[ -x "$WRITER" ] || fail "no $WRITER: run through make check"
[ "$failures" -eq 0 ] || finish

# (more than one page of an export: 4,096 executions)
run gen --executions 9000
expect_rc 0 "gen 9,000 executions"
running_yaml "$work/writer.yaml" "A writer's execution" aaa-writer
run import "$work/writer.yaml"
expect_rc 0 "import the writer's execution"
# writer MODE N: the engine's changes (rate SECS, or count N); prints its
# changes a second (0, saying why on standard error, when they failed)
writer() {
	local out
	out=$("$WRITER" "$SEETOP_HOME" aaa-writer t1 "$1" "$2") || { echo "the engine's changes failed: $out" >&2; echo 0; return; }
	echo "$out" | awk '{ printf "%.0f", $2 / $4 }'
}
# the median of 3 one-second rates
median_rate() { for _ in 1 2 3; do writer rate 1; echo; done | sort -n | sed -n 2p; }

writer rate 1 >/dev/null # warm
before=$(median_rate)
# an export whose reader stops reading: its snapshot stays open between
# pages while the writer makes 1,000 changes (more than the 256 a snapshot
# must outlive)
("$SEECTL" export 2>/dev/null | sleep 3) &
reader=$!
sleep 0.2
during=$(writer count 1000)
wait $reader
sleep 1.2 # a turn of the server's loop
after=$(median_rate)
echo "writer: $before changes/s before, $during while an export was held open, $after after it ended (medians of 3; load $(cut -d' ' -f1 /proc/loadavg))"
[ "$before" -gt 0 ] 2>/dev/null && [ "$after" -gt 0 ] 2>/dev/null || fail "no rate measured: before '$before', after '$after'"
grep -q "the cache was renewed" "$SEETOP_HOME/server.log" || fail "server.log does not say the cache was renewed after the export"
awk -v b="$before" -v a="$after" 'BEGIN { exit !(a >= 0.6 * b) }' ||
	fail "after a long export the writer ran at $after changes/s, $(awk -v b="$before" -v a="$after" 'BEGIN { printf "%.2f", a / b }') of its $before before it (expected at least 0.6)"
run verify
expect_rc 0 "verify after the renewal"

# an export whose reader stops reading for longer than the server keeps its
# snapshot (30 s) fails at its next page, saying so, rather than going on
# in another state of the store
( "$SEECTL" export 2>"$work/idle.err" | (sleep 31; cat >/dev/null); echo "${PIPESTATUS[0]}" >"$work/idle.rc" )
[ "$(cat "$work/idle.rc")" = 3 ] || fail "an export left unused 31 s exited $(cat "$work/idle.rc"), not 3: $(cat "$work/idle.err")"
grep -q "given up, unused for too long" "$work/idle.err" || fail "an export left unused 31 s does not say its snapshot was given up: $(cat "$work/idle.err")"
[ "$(wc -l <"$work/idle.err")" -eq 1 ] || fail "the export's error is not one line: $(cat "$work/idle.err")"
run export
expect_rc 0 "an export read at once after that"
"$SEECTL" server stop >/dev/null
finish
