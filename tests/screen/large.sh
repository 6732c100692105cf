#!/usr/bin/env bash
# A list larger than the dashboard keeps in memory (3000 executions, a window
# of 1024 rows): paging down past the window and back up, the last page (G),
# the first (g) and n show every row exactly once, in order, with no gap at
# the window's edges.  gen gives later ids later start times, so newest first
# means the ids count down by one.
. "$(dirname "$0")/lib.sh"
"$SEECTL" gen --executions 3000 --waiting-ratio 0.01 >/dev/null || fail "generating 3000 executions"
H=40 start
expect_screen "gen-00002999"

# the gen ids on the execution rows, top to bottom
ids() { screen | grep -oE '^[>!+x.=?] +[a-z-]+(: [a-z0-9_-]+)? +gen-[0-9]{8}' | grep -oE '[0-9]{8}$' | sed 's/^0*//; s/^$/0/'; }
# the id on the selected (reverse video) row
selected() { screen_e | grep -E $'\e\\[[0-9;]*7[;m]' | grep -oE 'gen-[0-9]{8}' | head -1; }
# contiguous LABEL: the rows count down by one
contiguous() {
	local prev="" n=0
	for id in $(ids); do
		if [ -n "$prev" ] && [ "$id" -ne $((prev - 1)) ]; then
			fail "$1: row gen-$id follows gen-$prev
$(screen)"
			return
		fi
		prev=$id
		n=$((n + 1))
	done
	[ "$n" -ge 5 ] || fail "$1: only $n execution rows on screen
$(screen)"
}
contiguous "the first screen"
# drained: every key sent before is handled (keys are read in order, and
# the help opens only once those before it are done): a fixed sleep after a
# burst of keys may not be enough on a loaded machine
drained() {
	$T send-keys ?
	wait_for "quit (or close the help)" 10 || fail "the help did not open after the keys: $(screen)"
	$T send-keys q
	for _ in $(seq 100); do screen | grep -qF "quit (or close the help)" || return 0; sleep 0.1; done
	fail "the help did not close: $(screen)"
}

# down across the window's edge (1024 rows) and on
for _ in $(seq 120); do $T send-keys NPage; done
drained
contiguous "after 120 pages down"
deep=$(ids | head -1)
[ "$deep" -lt 2000 ] || fail "120 pages down still shows gen-$deep at the top"

# back up to the top: the rows dropped on the way down are read again
for _ in $(seq 130); do $T send-keys PPage; done
drained
contiguous "after paging back up"
expect_screen "gen-00002999"

# the last page, then up from it
keys G
expect_screen "gen-00000000"
[ "$(selected)" = gen-00000000 ] || fail "G did not select the oldest execution (selected: $(selected))"
contiguous "the last page"
for _ in $(seq 10); do $T send-keys PPage; done
drained
contiguous "ten pages up from the end"
for _ in $(seq 80); do $T send-keys k; done
drained
contiguous "80 rows up"

# the first page again
keys g
expect_screen "gen-00002999"
[ "$(selected)" = gen-00002999 ] || fail "g did not select the newest execution (selected: $(selected))"

# n: the next execution that waits, found in the index wherever it is
# (n reads the index: its row is selected once the answer came)
keys n
for _ in $(seq 50); do sel=$(selected); [ -n "$sel" ] && [ "$sel" != gen-00002999 ] && break; sleep 0.1; done
[ -n "$sel" ] && [ "$("$SEECTL" show --json "$sel" | python3 -c 'import json,sys; print(json.load(sys.stdin)["execution"]["status"])')" = waiting-for-input ] ||
	fail "n selected '$sel', which does not wait"
first_waiting=$sel
keys n
for _ in $(seq 50); do [ "$(selected)" != "$first_waiting" ] && break; sleep 0.1; done
[ "$(selected)" != "$first_waiting" ] || fail "a second n stayed on $first_waiting"
finish
