#!/bin/sh
# seerun_tells.sh - seerun tells what happens.  On a terminal (tmux): one
# line per task transition on stderr (started, done with its time, waits with
# its prompt cut to the width and its deadline, paused, resumed, failed with
# why), then a summary; --quiet keeps only the id; a locale that is not
# UTF-8 gets ASCII glyphs.  Into a pipe: no progress, but the reason of a
# failure (exit status, reject reason, cancel) on stderr in one line.
. "${SEETOP_TOP_SRCDIR:?}/tests/cli/lib.sh"
SEERUN=$top_builddir/cli/seerun
WF=$DATA/workflows
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed (Debian: apt install tmux)" >&2; exit 1; }
sock="seerun-tells-$$"
T="tmux -u -L $sock"
trap '$T kill-server 2>/dev/null; rm -rf "$work"' EXIT

# term COLS "SEERUN ARGS": runs seerun in a fresh COLSx30 terminal, its
# stdout and stderr on the screen, then "[exit N]"
term() {
	$T kill-server 2>/dev/null
	while $T has-session 2>/dev/null; do sleep 0.05; done
	$T -f /dev/null new-session -d -x "$1" -y 30 \
		"env LANG=C.UTF-8 LC_ALL=${TERM_LC_ALL:-C.UTF-8} TERM=xterm SEETOP_HOME=$SEETOP_HOME SEETOP_CONFIG=$SEETOP_CONFIG SEESTORE_SERVER=${SEESTORE_SERVER:-} $SEERUN $2; echo \"[exit \$?]\"; sleep 60"
}
screen() { $T capture-pane -p -J; }
# shows TEXT [SECONDS]: waits until the screen holds TEXT
shows() {
	i=0
	while ! screen | grep -qF -- "$1"; do
		i=$((i + 1))
		[ $i -gt $((${2:-20} * 20)) ] && { fail "the screen lacks '$1':
$(screen)"; return 1; }
		sleep 0.05
	done
	return 0
}
lacks() { ! screen | grep -qF -- "$1" || fail "the screen holds '$1':
$(screen)"; }

# ---- a tree that completes: a line per start and per end, then the summary ----
term 100 "--id t1 --jobs 4 $WF/tree.json"
shows "[exit 0]"
screen >"$work/t1"
for t in fetch build-a build-b test-a lint; do
	grep -qx "▶ $t started" "$work/t1" || fail "no start line for $t: $(cat "$work/t1")"
	grep -qE "^✓ $t [0-9]+\.[0-9]s$" "$work/t1" || fail "no done line with a time for $t: $(cat "$work/t1")"
done
# build-a sleeps 0.3 s: its time says so
grep -qE "^✓ build-a 0\.[3-9]s$" "$work/t1" || fail "build-a's time: $(grep build-a "$work/t1")"
grep -qE "^seerun: execution 't1' complete: 5 tasks in [0-9.]+s$" "$work/t1" || fail "no summary: $(cat "$work/t1")"
[ "$(head -1 "$work/t1")" = t1 ] || fail "the id is not the first line: $(head -1 "$work/t1")"

# ---- an input: "? TASK waits: PROMPT", then its answer ends the wait ----
term 100 "--id t2 $WF/approve.json"
shows "? approve waits: Deploy to production?" || exit 1
lacks "✓ approve"
run resume t2 approve --input yes
expect_rc 0 "resume t2 approve"
shows "[exit 0]"
shows "✓ approve "
shows "✓ deploy "
shows "seerun: execution 't2' complete: 3 tasks in"

# ---- a deadline: the waits line names it, and the timer's default ends the wait ----
term 100 "--id t8 $WF/deadline.json"
shows "? approve waits: Ship it? (2s, then default)"
shows "✓ approve "
shows "✓ ship "
shows "[exit 0]"

# ---- a pause and a resume of a running command ----
term 100 "--id t3 $WF/pause.json"
shows "▶ ticker started"
run pause t3 ticker
shows "‖ ticker paused"
run resume t3 ticker
shows "▶ ticker resumed"
shows "[exit 0]"

# ---- a long prompt is cut to the terminal's width with …, first line only ----
term 60 "--id t4 $WF/long-prompt.json"
shows "? approve waits: Approve the deployment" || exit 1
line=$(screen | grep -F "? approve waits:")
case $line in *…) ;; *) fail "a long prompt is not cut with …: '$line'" ;; esac
[ "$(printf '%s' "$line" | wc -m)" -le 60 ] || fail "the waits line is wider than 60 columns: '$line'"
lacks "Second line"
run cancel t4 --reason "not today"

# ---- a failure: ✗ TASK: why, then the summary says which task and why ----
term 100 "--id t5 $WF/fail.json"
shows "[exit 1]"
shows "✗ bad: exit status 3"
shows "seerun: execution 't5' failed: task 'bad': exit status 3 (1 of 3 tasks complete,"
lacks "✓ never"

# ---- --quiet: the id alone ----
term 100 "--quiet --id t6 $WF/tree.json"
shows "[exit 0]"
[ "$(screen | grep -v '^$')" = "t6
[exit 0]" ] || fail "--quiet printed more than the id: $(screen)"

# ---- a locale that is not UTF-8: ASCII glyphs ----
TERM_LC_ALL=C term 100 "--id t7 $WF/fail.json"
shows "[exit 1]"
shows "x bad: exit status 3"
shows "> slow-ok started"
shows "+ slow-ok "
lacks "✓"

# ---- into a pipe: no progress, but why it failed, in one line ----
"$SEERUN" --id p1 "$WF/fail.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 1 "fail.json into a pipe"
expect_one_line
expect_err "seerun: execution 'p1' failed: task 'bad': exit status 3"
[ "$(cat "$work/out")" = p1 ] || fail "stdout: $(cat "$work/out")"
"$SEERUN" --id p2 "$WF/tree.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 0 "tree.json into a pipe"
[ -s "$work/err" ] && fail "a complete run wrote to a stderr that is not a terminal: $(cat "$work/err")"
# a reject's reason
"$SEERUN" --id p3 "$WF/approve.json" >/dev/null 2>"$work/err" &
pid=$!
i=0
until "$SEECTL" reject p3 approve --reason "not during the freeze" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 200 ] && { fail "could not reject p3"; break; }
	sleep 0.05
done
wait $pid
rc=$?
expect_rc 1 "a rejected approval"
expect_one_line
expect_err "seerun: execution 'p3' failed: task 'approve': not during the freeze"
# a cancel's reason
"$SEERUN" --id p4 "$WF/pause.json" >/dev/null 2>"$work/err" &
pid=$!
i=0
until "$SEECTL" cancel p4 --reason "wrong branch" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 200 ] && { fail "could not cancel p4"; break; }
	sleep 0.05
done
wait $pid
rc=$?
expect_rc 1 "a cancelled execution"
expect_one_line
expect_err "seerun: execution 'p4' was ended by someone else (cancelled?): task 'ticker': wrong branch"
# --quiet keeps the reason of a failure
"$SEERUN" -q --id p5 "$WF/fail.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 1 "--quiet fail.json"
expect_err "task 'bad': exit status 3"
finish
