#!/usr/bin/env bash
# max_fps: 1,000 changes pushed in about a second make the dashboard redraw
# at most max_fps (10) times a second, and its last frame shows the last
# change; a key is still answered at once.
. "$(dirname "$0")/lib.sh"
CHURN=$top_builddir/tests/tools/churn
printf 'confirm: true\nrefresh_ms: 60000\nmax_fps: 10\n' >"$SEETOP_CONFIG"
load_demo
START_ENV="SEETOP_TRACE_PUSH=$work/trace" start
expect_screen "nightly-etl-1190"
sleep 0.5
: >"$work/trace"
read -r first last < <("$CHURN" "$SEETOP_HOME" nightly-etl-1190 load 999) || fail "churn"
# the last change (a pause) is on screen within a frame or so
expect_screen "= paused            nightly-etl-1190" 2
sleep 0.3
span_ms=$(((last - first) / 1000))
frames=$(awk -v a="$first" -v b="$last" '$1 >= a && $1 <= b + 300000' "$work/trace" | wc -l)
allowed=$((span_ms / 100 + 3))
echo "999 changes in $span_ms ms: $frames redraws from pushes (at most $allowed at 10 a second)"
[ "$frames" -le "$allowed" ] || fail "$frames redraws for 999 changes in $span_ms ms: more than max_fps allows ($allowed)"
[ "$frames" -ge 1 ] || fail "no redraw for 999 changes"
# keys are answered at once, whatever the cap
t0=$(date +%s%N)
keys j
expect_screen "row 2/" 1
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 1000 ] || fail "a key took $(((t1 - t0) / 1000000)) ms"
keys q
expect_screen "[exit 0]"
finish
