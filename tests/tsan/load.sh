#!/usr/bin/env bash
# load.sh - the store server's reader threads under load, for make
# check-tsan (a server built with -fsanitize=thread): a user who may only
# read exports, verifies, lists what waits and reads histories, each in a
# loop on connections of its own, and gives up a verify midway (its read is
# cancelled), while the owner pauses and resumes; then an export held open
# while an engine changes fast (the server renews its cache after it); then
# the server stops.
# Every command must end well; the target reads ThreadSanitizer's reports
# (TSAN_OPTIONS: the server started here inherits it).
# Two users when run as root (the owner, and nobody through setpriv), else
# one: the threads are the same.
. "$(dirname "$0")/../cli/lib.sh"
loops=()
trap 'for p in "${loops[@]}"; do kill -- "-$p"; done 2>/dev/null; rm -rf "$work"' EXIT
as_reader=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_reader=(setpriv --reuid=65534 --regid=65534 --init-groups)
fi
n=${SEETOP_TSAN_EXECUTIONS:-3000}
secs=${SEETOP_TSAN_SECONDS:-20}

run gen --executions "$n"
expect_rc 0 "gen $n executions"
running_yaml "$work/ends.yaml" Load aaa-first aab-writer
run import "$work/ends.yaml"
expect_rc 0 "import the owner's executions"
run server stop
chmod 755 "$work"
mkdir -m 1777 "$work/r" # the reader's loops write their failures here
if [ ${#as_reader[@]} -gt 0 ]; then
	chgrp 65534 "$SEETOP_HOME"
	chmod 750 "$SEETOP_HOME"
fi
# the server in the foreground of this script: a server a client starts
# gets none of the client's environment, TSAN_OPTIONS included
sock=$SEETOP_HOME/server.sock
serve() {
	"$SEESTORE_SERVER" --foreground "$SEETOP_HOME" 2>>"$work/server.err" &
	srv=$!
	for _ in $(seq 1 200); do [ -S "$sock" ] && [ "$(head -1 "$SEETOP_HOME/server.lock" 2>/dev/null)" = "$srv" ] && break; sleep 0.05; done
	[ -S "$sock" ] || fail "the server did not start: $(cat "$work/server.err")"
}
serve
[ "$failures" -eq 0 ] || finish

# reader_loop NAME CMD...: CMD in a loop, as the reader, in a process group
# of its own; each failure is counted in $work/NAME.failed
reader_loop() {
	local name=$1
	shift
	setsid "${as_reader[@]}" bash -c 'while :; do "$@" >/dev/null 2>>"$0.err" || echo >>"$0.failed"; done' \
		"$work/r/$name" "$SEECTL" "$@" &
	loops+=($!)
}
reader_loop export export
reader_loop export-json export --format json --events
reader_loop verify verify
reader_loop paused paused --limit 0
reader_loop history history --limit 1000

end=$((SECONDS + secs))
cycles=0
while [ $SECONDS -lt "$end" ]; do
	run pause aaa-first t1
	expect_rc 0 "the owner's pause"
	run resume aaa-first
	expect_rc 0 "the owner's resume"
	# a verify given up midway: its read is cancelled on its thread
	"${as_reader[@]}" "$SEECTL" verify >/dev/null 2>&1 &
	v=$!
	sleep 0.3
	kill -9 "$v" 2>/dev/null
	wait "$v" 2>/dev/null
	cycles=$((cycles + 1))
done
for p in "${loops[@]}"; do kill -- "-$p" 2>/dev/null; done
wait "${loops[@]}" 2>/dev/null
loops=()
echo "the owner's pause and resume: $cycles cycles in $secs s under the readers' load"
[ "$cycles" -ge 3 ] || fail "the owner made only $cycles cycles in $secs s"
for name in export export-json verify paused history; do
	f=$work/r/$name
	[ -e "$f.failed" ] || continue
	# a reader's command cut short by the kill at the end is no failure;
	# more than one is
	[ "$(wc -l <"$f.failed")" -le 1 ] || fail "the reader's $name failed $(wc -l <"$f.failed") times: $(tail -2 "$f.err")"
done
run server stop
expect_rc 0 "the server stops"
wait "$srv"

# an export held open (its reader stalls) while an engine makes changes as
# fast as it can (SEETOP_WRITER: tests/bench/fanout_writer, of any build):
# once no snapshot is open a turn of the server's loop renews its cache,
# while the owner changes and a reader reads
WRITER=${SEETOP_WRITER:?run through make check-tsan}
serve
("${as_reader[@]}" "$SEECTL" export 2>/dev/null | sleep 3) &
held=$!
sleep 0.2
"$WRITER" "$SEETOP_HOME" aab-writer t1 count 600 >"$work/writer.out" || fail "the engine's changes failed: $(cat "$work/writer.out")"
wait $held
sleep 1.5
run pause aaa-first t1
expect_rc 0 "the owner's pause after the export"
# the reader threads' views open their databases again in the new
# environment
run list
expect_rc 0 "a read after the renewal"
"${as_reader[@]}" "$SEECTL" paused >/dev/null 2>"$work/paused.err" || fail "the reader's paused after the renewal: $(cat "$work/paused.err")"
"${as_reader[@]}" "$SEECTL" verify >/dev/null 2>"$work/verify.err" || fail "the reader's verify after the renewal: $(cat "$work/verify.err")"
grep -q "the cache was renewed" "$work/server.err" || fail "the server did not renew its cache after an export held open under $(cat "$work/writer.out") changes: $(tail -3 "$work/server.err")"
run server stop
expect_rc 0 "the server stops"
wait "$srv"
finish
