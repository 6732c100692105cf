#!/bin/sh
# deadline.sh - what waits with a deadline on screen: the time left on the
# execution's row and the task's, "overdue" once past, rows under a tenth
# of their time marked (bold, underlined), and the waiting filter sorted by
# deadline, soonest first.  A fixed clock (SEETOP_CLOCK) moves seetop's now.
. "${SEETOP_TOP_SRCDIR:?}/tests/screen/lib.sh"
for i in 1 2 3; do
	sed "s/test-waiting/w$i/; s/2024-12-19T10:00:00Z/2024-12-19T10:0$i:00Z/g" "$top_srcdir/tests/data/test-waiting.yaml" >"$work/w$i.yaml"
done
"$SEECTL" import "$work/w1.yaml" "$work/w2.yaml" "$work/w3.yaml" >/dev/null || fail "import"
"$SEECTL" deadline w1 task1 100m >/dev/null || fail "deadline w1"
"$SEECTL" deadline w3 task1 7d >/dev/null || fail "deadline w3"
due=$(json w1 "['execution']['deadline']")
# seetop's clock: the deadline minus 5 minutes (5 of 100 left: under a tenth)
at() { python3 -c 'import sys,datetime; t=datetime.datetime.strptime(sys.argv[1][:19], "%Y-%m-%dT%H:%M:%S")+datetime.timedelta(seconds=int(sys.argv[2])); print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$due" "$1"; }

# batch output: the rows say how long is left, soonest first in the waiting filter
SEETOP_CLOCK=$(at -3000) "$SEETOP" -b >"$work/b.txt" 2>&1 || fail "seetop -b"
grep -q "waiting, 50m left *w1" "$work/b.txt" || fail "w1's time left: $(cat "$work/b.txt")"
grep -Eq "waiting, [67]d left *w3" "$work/b.txt" || fail "w3's time left: $(cat "$work/b.txt")"
grep -q "waiting-for-input w2" "$work/b.txt" || fail "w2 has no deadline: $(cat "$work/b.txt")"

W=100 H=30 START_ENV="SEETOP_CLOCK=$(at -300)" start
expect_screen "waiting, 5m left  w1"
# under a tenth of its time left: bold and underlined
has_sgr "waiting, 5m left" 4 || fail "the urgent row is not underlined: $(row_sgr "waiting, 5m left")"
has_sgr "waiting, 6d left" 4 && fail "a row with time to spare is marked"
# the waiting filter: soonest deadline first, then those without one
keys w
expect_screen "waiting only"
order=$(screen | grep -oE '^. waiting[^w]*w[0-9]' | grep -oE 'w[0-9]$' | tr '\n' ' ')
[ "$order" = "w1 w3 w2 " ] || fail "the waiting filter is not sorted by deadline: '$order'
$(screen)"
# the task says it too
keys Enter
expect_screen "[5m left] Approv"
# the detail says when it is due, how long is left and what happens then
expect_screen "(5m left), then fail"

# past the deadline (the server has not run its timer for seetop's clock): overdue
W=100 H=30 START_ENV="SEETOP_CLOCK=$(at 60)" start
expect_screen "waiting, overdue  w1"
has_sgr "waiting, overdue" 4 || fail "an overdue row is not marked"
finish
