#!/usr/bin/env bash
# Resize to 20x6 and back; hostile strings never reach the terminal raw
# (checked on the pane and on the bytes written to the pty); batch mode;
# a missing home gives a clear message and a restored terminal.
. "$(dirname "$0")/lib.sh"
load_demo
python3 - "$work/hostile.yaml" <<'PY'
import sys
open(sys.argv[1], "w").write("""executions:
  - id: evil
    workflow_name: "\\e]0;pwned\\a\\e[2J wipe"
    start_timestamp: 2030-01-01T00:00:00Z
    status: waiting-for-input
    is_paused: true
    paused_task_id: t1
    tasks:
      - task_id: t1
        task_name: "\\e[31mred"
        status: waiting-for-input
        logs: ["\\e]2;title\\a log", "%s"]
        input: {prompt: "\\e[5mblink? \\x9b2J", type: string, required: false}
""" % ("y" * 5000))
PY
"$SEECTL" import "$work/hostile.yaml" >/dev/null || fail "importing hostile data"
start
$T pipe-pane -o "cat >> $work/pty.bytes"
keys Down Up
expect_screen '\e]0;pwned\x07\e[2J wipe'
expect_screen '\e[5mblink? \x9b2J'
expect_screen '\e]2;title\x07 log'
sleep 0.3
if LC_ALL=C grep -q $'\e]0;pwned' "$work/pty.bytes" || LC_ALL=C grep -q $'\e]2;title' "$work/pty.bytes"; then
	fail "an OSC sequence from the data reached the terminal"
fi
if LC_ALL=C grep -q $'\x07' "$work/pty.bytes"; then fail "a bell from the data reached the terminal"; fi
if LC_ALL=C grep -q $'\xc2\x9b' "$work/pty.bytes"; then fail "a C1 CSI from the data reached the terminal"; fi

$T resize-window -x 20 -y 6
expect_screen "terminal too small"
$T resize-window -x 100 -y 30
expect_screen "deploy-prod-4821"
expect_screen "running 3"
keys q
expect_screen "[exit 0]"

# batch mode: plain text, read-only, no terminal needed
"$SEETOP" -b -n 1 >"$work/frame.txt" 2>&1 || fail "seetop -b -n 1 failed"
grep -q "seetop \[RO\]  running 3  waiting 6  complete 4  failed 2" "$work/frame.txt" || fail "batch header: $(head -2 "$work/frame.txt")"
grep -q "waiting-for-input deploy-prod-4821" "$work/frame.txt" || fail "batch rows"
grep -q "\[RO\]" "$work/frame.txt" || fail "batch is read-only"
if LC_ALL=C grep -q $'\e' "$work/frame.txt"; then fail "batch output holds a raw ESC"; fi
"$SEETOP" -b -n 2 -d 50 >"$work/frames.txt" || fail "seetop -b -n 2"
[ "$(grep -c '^seetop ' "$work/frames.txt")" -eq 2 ] || fail "-n 2 printed $(grep -c '^seetop ' "$work/frames.txt") frames"

# a home with no store: one clear line, exit 1
"$SEETOP" --home "$work/none" -b 2>"$work/err" && fail "a missing home opened"
grep -q "^seetop: no store in '$work/none'" "$work/err" || fail "missing home message: $(cat "$work/err")"
# no terminal (cron, systemd): one line and exit 2, at once; -b still works
start_s=$(date +%s%N)
timeout 5 "$SEETOP" </dev/null >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" -eq 2 ] || fail "seetop without a terminal: exit $rc, expected 2"
[ "$(wc -l <"$work/err")" -eq 1 ] && grep -q "^seetop: standard input is not a terminal" "$work/err" ||
	fail "seetop without a terminal said: $(cat "$work/err")"
[ $((($(date +%s%N) - start_s) / 1000000)) -lt 3000 ] || fail "seetop without a terminal did not leave at once"
"$SEETOP" -b -n 1 </dev/null >/dev/null || fail "seetop -b without a terminal"
# an unknown, unset or dumb TERM: one seetop line and exit 2 (not ncurses' message and exit 1)
for t in "TERM=no-such-terminal" "TERM=dumb" "-u TERM"; do
	timeout 5 script -qec "env $t $SEETOP" /dev/null </dev/null >"$work/out" 2>&1
	rc=$?
	[ "$rc" -eq 2 ] || fail "seetop with $t: exit $rc, expected 2: $(cat "$work/out")"
	[ "$(tr -d '\r' <"$work/out" | grep -c .)" -eq 1 ] && grep -q "^seetop: " "$work/out" ||
		fail "seetop with $t said: $(cat "$work/out")"
done
"$SEETOP" -V | grep -q "^seetop [0-9]" || fail "seetop -V"
# every time in one zone: UTC by default, local with local_time: true
"$SEECTL" import "$top_srcdir/assets/demo.yaml" --home "$work/tz" >/dev/null
SEETOP_CLOCK=2026-11-27T07:00:00Z "$SEETOP" --home "$work/tz" -b >"$work/utc.txt"
grep -q "  07:00:00Z  " "$work/utc.txt" || fail "the clock is not in UTC: $(head -1 "$work/utc.txt")"
grep -q "deploy-prod-4821 .* 2026-11-25T15:00:00Z " "$work/utc.txt" || fail "a start time is not in UTC"
printf 'local_time: true\n' >"$work/local.yaml"
TZ=CET-1 SEETOP_CONFIG="$work/local.yaml" SEETOP_CLOCK=2026-11-27T07:00:00Z "$SEETOP" --home "$work/tz" -b >"$work/local.txt"
grep -q "  08:00:00 CET  " "$work/local.txt" || fail "the clock is not local: $(head -1 "$work/local.txt")"
grep -q "deploy-prod-4821 .* 2026-11-25 16:00:00 " "$work/local.txt" || fail "a start time is not local: $(grep deploy-prod "$work/local.txt")"
"$SEECTL" server stop --home "$work/tz" >/dev/null 2>&1
# the header clock ticks while nothing changes (it is not the time of the last reload),
# and so do a row's age under a minute and the seconds its deadline leaves
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sed "s/test-waiting/just-now/; s/2024-12-19T10:00:00Z/$now/g" "$top_srcdir/tests/data/test-waiting.yaml" >"$work/now.yaml"
"$SEECTL" import "$work/now.yaml" >/dev/null || fail "importing an execution started now"
"$SEECTL" deadline just-now task1 90s >/dev/null || fail "a deadline for it"
start
expect_screen "just-now"
c1=$(screen | head -1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}Z')
r1=$(screen | grep -F just-now)
sleep 2.2
c2=$(screen | head -1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}Z')
r2=$(screen | grep -F just-now)
[ -n "$c1" ] && [ "$c1" != "$c2" ] || fail "the header clock froze: '$c1' then '$c2'"
age() { echo "$1" | grep -oE '[0-9]+s +[0-9/]+ *$' | grep -oE '^[0-9]+'; }
left() { echo "$1" | grep -oE '[0-9]+s left' | grep -oE '^[0-9]+'; }
a1=$(age "$r1") a2=$(age "$r2") l1=$(left "$r1") l2=$(left "$r2")
[ -n "$a1" ] && [ -n "$a2" ] && [ "$a2" -gt "$a1" ] || fail "a row's age stood still: '$r1' then '$r2'"
[ -n "$l1" ] && [ -n "$l2" ] && [ "$l2" -lt "$l1" ] || fail "a deadline's time left stood still: '$r1' then '$r2'"
keys q
# SIGTERM restores the terminal
start
pid=$(pgrep -P "$($T display -p '#{pane_pid}')") && kill -TERM "$pid"
expect_screen "[exit 0]"
finish
