#!/usr/bin/env bash
# readers.sh - long reads run on the server's reader threads, in snapshots:
# a user who may only read exports a home of 200,000 executions while the
# owner pauses and resumes (each owner command under 1 s, and the export is
# one snapshot, and the import of every tenth execution of it verifies
# clean); loops verify on 8 connections
# while the owner's pause stays under 1 s; and a verify whose connection
# closes frees its reader (the next one starts at once, not after it).
# Two users: root (the owner) and nobody, through setpriv.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || fail "readers.sh needs setpriv (util-linux) for a second user"
[ "$(id -u)" = 0 ] || fail "readers.sh needs root, to act as a second user (nobody)"
[ "$failures" -eq 0 ] || finish
loops=()
trap 'for p in "${loops[@]}"; do kill -- "-$p"; done 2>/dev/null; kill "${bg:-}" 2>/dev/null; rm -rf "$work"' EXIT

as_reader=(setpriv --reuid=65534 --regid=65534 --init-groups)
reader() { "${as_reader[@]}" "$@"; }
ms() { date +%s%3N; }
# owner CMD...: one command of the owner's, which must end well and in under
# bound_ms: 1 s, or 5 times the slowest of the owner's commands with no reader
# (a sanitizer build on a busy machine, where a command's own start is slow)
owner_max=0
bound_ms=1000
owner() {
	local t0 d
	t0=$(ms)
	run "$@"
	d=$(($(ms) - t0))
	expect_rc 0 "the owner's $*"
	[ "$d" -lt "$bound_ms" ] || fail "the owner's $* took $d ms (bound $bound_ms ms) $why"
	[ "$d" -gt "$owner_max" ] && owner_max=$d
	return 0
}

# the home: 200,000 executions between two of this test's own, which an
# export reads first and last
t0=$(ms)
run gen --executions 200000
expect_rc 0 "gen 200,000 executions"
echo "gen 200,000 executions: $(($(ms) - t0)) ms"
running_yaml "$work/ends.yaml" "Snapshot ends" aaa-first zzz-last
run import "$work/ends.yaml"
expect_rc 0 "import the two ends"
run server stop
chmod 755 "$work"
chgrp 65534 "$SEETOP_HOME"
chmod 750 "$SEETOP_HOME"
run server start
expect_rc 0 "the owner starts the server of a home its group may read"
[ "$failures" -eq 0 ] || finish

# ---- an export by a reader while the owner pauses and resumes ----
why="with no reader"
for _ in 1 2 3; do
	owner pause zzz-last t1
	owner resume zzz-last
done
[ $((owner_max * 5)) -gt "$bound_ms" ] && bound_ms=$((owner_max * 5))
echo "the owner's commands with no reader: at most $owner_max ms each; their bound: $bound_ms ms"
owner_max=0
"${as_reader[@]}" "$SEECTL" export >"$work/export.yaml" 2>"$work/export.err" &
bg=$!
t0=$(ms)
for _ in $(seq 1 600); do grep -q gen-00000100 "$work/export.yaml" 2>/dev/null && break; sleep 0.05; done
grep -q gen-00000100 "$work/export.yaml" || fail "the reader's export wrote nothing in 30 s: $(cat "$work/export.err")"
# past the first execution and long before the last: both are paused now,
# which one snapshot taken before cannot show
why="during a reader's export"
owner pause aaa-first t1
owner pause zzz-last t1
cycles=0
# then the first one, which the export has read, over and over
while kill -0 "$bg" 2>/dev/null; do
	owner resume aaa-first
	owner pause aaa-first t1
	cycles=$((cycles + 1))
done
wait "$bg"
rc=$?
expect_rc 0 "the reader's export ($(cat "$work/export.err"))"
echo "a reader's export of 200,002 executions: $(($(ms) - t0)) ms; the owner's $((2 * cycles + 2)) commands meanwhile: at most $owner_max ms each"
[ "$cycles" -ge 5 ] || fail "the owner made only $cycles pause and resume cycles during the export"
python3 - "$work/export.yaml" "$work/sample.yaml" <<'PY' || fail "the export is not one snapshot"
import re, sys
text = open(sys.argv[1]).read()
starts = [m.start() for m in re.finditer(r"^- id: ", text, re.M)]
n = len(starts)
# every tenth execution, the first and the last among them, for an import
# (seectl import of all 200,002 takes many minutes)
ends = starts[1:] + [len(text)]
with open(sys.argv[2], "w") as out:
    out.write("executions:\n")
    for i in sorted(set(range(0, n, 10)) | {n - 1}):
        out.write(text[starts[i]:ends[i]])
state = {}
for ident in ("aaa-first", "zzz-last"):
    block = text[text.index("- id: " + ident):]
    block = block[:block.find("\n- id: ", 1)] if "\n- id: " in block[1:] else block
    state[ident] = "is_paused: true" in block
print(f"the export holds {n} executions; paused in it: {state}")
# the owner paused both after the export began: a snapshot shows neither,
# a read that moved with the store shows the last one paused
sys.exit(0 if n == 200002 and not any(state.values()) else 1)
PY
export SEETOP_HOME=$work/copy
t0=$(ms)
run import "$work/sample.yaml"
expect_rc 0 "import every tenth execution of the reader's export into an empty home"
expect_out "imported 20002 executions"
run verify
expect_rc 0 "verify the import of the export"
expect_out "no problems"
echo "import and verify of every tenth execution of the export: $(($(ms) - t0)) ms"
run server stop
rm -rf "$work/copy" "$work/export.yaml" "$work/sample.yaml"
export SEETOP_HOME=$work/home
# its server may have left while idle: the owner starts it again
run server start
expect_rc 0 "the owner starts the server again"

# ---- verify looped on 8 connections of a reader ----
t0=$(ms)
reader "$SEECTL" verify >"$work/out" 2>"$work/err"
rc=$?
expect_rc 0 "a reader's verify"
alone=$(($(ms) - t0))
echo "a reader's verify alone: $alone ms"
for i in 1 2 3 4 5 6 7 8; do
	# a process group of its own: the loop and its verify end together
	setsid "${as_reader[@]}" bash -c 'while :; do "$1" verify >/dev/null 2>&1; done' \
		loop "$SEECTL" &
	loops+=($!)
done
sleep 1
why="with a reader looping verify on 8 connections"
owner_max=0
for _ in $(seq 1 10); do
	owner resume aaa-first
	owner pause aaa-first t1
	sleep 0.2
done
echo "the owner's pause and resume $why: at most $owner_max ms each"
for p in "${loops[@]}"; do kill -- "-$p" 2>/dev/null; done
wait "${loops[@]}" 2>/dev/null
loops=()

# ---- a closed connection frees its reader ----
# cpu_ticks: the CPU time of every thread of the server (1/100 s)
cpu_ticks() { cat /proc/"$srv"/task/*/stat 2>/dev/null | awk '{t += $14 + $15} END {print t + 0}'; }
srv=$(head -1 "$SEETOP_HOME/server.lock")
sleep 1
# two verifies take the reader's two turns; their clients go at once
# (setpriv runs seectl in its own process: $! is the client)
"${as_reader[@]}" "$SEECTL" verify >/dev/null 2>&1 &
v1=$!
"${as_reader[@]}" "$SEECTL" verify >/dev/null 2>&1 &
v2=$!
sleep 1
kill -9 "$v1" "$v2"
wait "$v1" "$v2" 2>/dev/null
sleep 0.5
c0=$(cpu_ticks)
sleep 1
c1=$(cpu_ticks)
echo "the server's CPU in the second after two verifies were given up: $((c1 - c0)) ticks of 1/100 s"
[ $((c1 - c0)) -le 10 ] || fail "the server used $((c1 - c0))/100 s of CPU in the second after two verifies' clients left: their reads went on"
grep -q "client pid $v1 .*closed during its verify: its read stopped" "$SEETOP_HOME/server.log" ||
	fail "the log does not say the verify of client pid $v1 stopped: $(tail -3 "$SEETOP_HOME/server.log")"
t0=$(ms)
reader "$SEECTL" verify >"$work/out" 2>"$work/err"
rc=$?
expect_rc 0 "a reader's verify after two given up"
after=$(($(ms) - t0))
echo "a reader's verify right after two of its verifies were given up: $after ms (alone: $alone ms)"
# had the two run on, this one would have waited for them first
[ "$after" -lt $((alone * 2)) ] || fail "a verify after two given up took $after ms, alone $alone ms: the readers were not freed"
finish
