#!/usr/bin/env bash
# A dashboard left open redraws only the lines that changed: after prompts
# drawn over its lines and closed, and pushed changes to one row while the
# others stayed, every cell (text and look) is what a dashboard started
# afresh on the same state shows, in an 80x24 pane.
. "$(dirname "$0")/lib.sh"
load_demo
clock="SEETOP_CLOCK=2026-11-27T07:00:00Z"

# a prompt gone stale says why on the line above it (the detail's last);
# once closed, that line is the detail's again
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause"
W=80 H=24 start
keys / nightly Enter
keys Tab
keys r
expect_screen "Resume task load of nightly-etl-1190? [y/N]"
"$SEECTL" resume nightly-etl-1190 load >/dev/null || fail "seectl resume"
expect_screen "nothing was sent (any key closes)"
[ "$(screen | sed -n 22p | grep -c 'not waiting')" = 1 ] || fail "no reason above the stale prompt:
$(screen)"
keys Escape
expect_screen "nothing was sent: "
[ "$(screen | sed -n 22p | grep -c 'not waiting')" = 0 ] || fail "the stale prompt's reason stays on the detail's line:
$(screen)"

W=80 H=24 START_ENV="$clock" start
expect_screen "nightly-etl-1190"
# a search prompt on the message line, closed twice: the second time the
# message it leaves is the one it covered
for word in zzz yyy; do
	keys /
	keys "$word"
	expect_screen "search id or name: $word"
	keys Escape
	expect_screen "cancelled: nothing changed"
	sleep 0.3
	expect_not_screen "search id or name"
done
keys j j
# a change pushed to one row; the rows around it stay
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause"
expect_screen "= paused            nightly-etl-1190" 2
expect_screen "running 2  waiting 6" 2
# and another to the same row: back as it was
"$SEECTL" resume nightly-etl-1190 load >/dev/null || fail "seectl resume"
# (the push is drawn within a frame; a loaded machine may take longer than
# the second this waited once: gone within 5 s)
for _ in $(seq 50); do screen | grep -qF "= paused            nightly-etl-1190" || break; sleep 0.1; done
expect_not_screen "= paused            nightly-etl-1190"
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause again"
expect_screen "= paused            nightly-etl-1190" 2

# a fresh dashboard on the same state, in a second window of the same size,
# with the same row selected, drawn whole
$T new-window -d "env TERM=$SEETOP_TERM $clock $SEETOP; sleep 30"
# the cells' text and looks; colours set at the end of a line, on blanks
# (invisible: where ncurses cleared to the end of the line or wrote spaces)
# are left out
cells() { sed -E $'s/(\e\\[[0-9;]*m| )*$//'; }
fresh() { $T capture-pane -p -e -t :1 | cells; }
open_one() { screen_e | cells; }
for _ in $(seq 60); do
	fresh | grep -qF "= paused            nightly-etl-1190" && break
	sleep 0.1
done
$T send-keys -t :1 j j
sleep 0.3
# (drawn whole: the help, then the list again on an erased screen)
$T send-keys -t :1 ?
sleep 0.3
$T send-keys -t :1 q
sleep 0.5
same=no
for _ in $(seq 20); do
	if [ "$(open_one)" = "$(fresh)" ]; then
		same=yes
		break
	fi
	sleep 0.2
done
[ "$same" = yes ] || fail "the dashboard left open differs from a fresh one:
$(diff <(open_one | cat -v) <(fresh | cat -v))"
finish
