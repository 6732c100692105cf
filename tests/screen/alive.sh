#!/usr/bin/env bash
# seetop --demo comes alive: seerun drives workflows in the scratch home,
# tasks move and logs stream, one waits for an approval, answering it with r
# lets it finish; quitting removes the home, its server and the engines.
. "$(dirname "$0")/lib.sh"
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
start --demo
expect_screen "nightly-build-" 5
expect_screen "release-approval-" 5
# the approval waits; r answers it (Enter takes the default, shown in brackets)
keys / 'release-approval' Enter
expect_screen "waiting-for-input release-approv" 15
keys r
expect_screen "Ship 2.4.1 to production? (press r to answer) (y/n) [yes]:"
keys Enter
expect_screen "Resume task approve of release-approval-"
keys y
expect_screen "resumed task approve of release-approval-"
# and the workflow goes on to the end, in front of us
expect_screen "+ complete          release-approv" 20
# its engine ended with it, and was reaped: no zombie under seetop
top_pid=$(pgrep -P "$($T list-panes -F '#{pane_pid}' | head -1)" | head -1)
[ -n "$top_pid" ] || fail "no seetop process"
for _ in $(seq 40); do
	zombies=$(ps --ppid "$top_pid" -o stat=,args= | grep -c '^Z')
	[ "$zombies" -eq 0 ] && break
	sleep 0.1
done
[ "$zombies" -eq 0 ] || fail "the demo left $zombies zombie(s) under seetop: $(ps --ppid "$top_pid" -o pid=,stat=,args=)"
ps --ppid "$top_pid" -o args= | grep -q seerun || fail "the demo's other engines are gone"
keys Escape
# logs stream: the nightly build's compile task printed while we watched
keys / 'nightly-build' Enter
keys Tab
keys Down
expect_screen "CC  tui/app.o" 20
# G in the detail pane reaches the last line, and stays there as lines stream in
keys Tab G
pos() { screen | grep "DETAIL" | grep -oE '[0-9]+-[0-9]+/[0-9]+$'; }
p1=$(pos)
for _ in $(seq 50); do [ "$(pos)" != "$p1" ] && break; sleep 0.1; done
p2=$(pos)
[ "$p2" != "$p1" ] || fail "no log line streamed in 5 s ($p1)"
[ "${p2#*-}" = "${p2##*/}/${p2##*/}" ] || fail "G stopped short of the last line: $p2 (was $p1)
$(screen)"
keys Escape
home=$(ls -d "$TMPDIR"/seetop-demo-* 2>/dev/null | head -1)
[ -n "$home" ] || fail "no scratch home under TMPDIR"
pgrep -f "seerun --home $home" >/dev/null || fail "no engine runs in the demo"
keys q
expect_screen "[exit 0]" 15
[ -e "$home" ] && fail "the demo left its home behind: $(ls "$home" | head -3)"
pgrep -f "seerun --home $home" >/dev/null && fail "an engine outlived the demo"
pgrep -f "for f in store/client" >/dev/null && fail "a command outlived the demo"
# killed, the dashboard takes its engines with it
start --demo
expect_screen "nightly-build-" 5
pid=$($T list-panes -F '#{pane_pid}')
seetop_pid=$(pgrep -P "$pid" -f "seetop --demo" | head -1)
kill -9 "$seetop_pid"
# (each engine hears of it at once (PR_SET_PDEATHSIG), then stops its
# commands and exits: within 10 s, where a fixed 2 s counted on a machine
# that is not loaded)
for _ in $(seq 100); do pgrep -f "seerun --home $TMPDIR/seetop-demo" >/dev/null || break; sleep 0.1; done
pgrep -f "seerun --home $TMPDIR/seetop-demo" >/dev/null && fail "engines outlived a killed dashboard by 10 s"
finish
