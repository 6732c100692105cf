#!/usr/bin/env bash
# Each pane shows its position, the focused one is marked, the detail pane
# follows the newest log lines, and G stops at the last line.
. "$(dirname "$0")/lib.sh"
"$SEECTL" import "$top_srcdir/tests/data/logs.yaml" >/dev/null || fail "importing logs.yaml"
W=80 H=24 start
expect_screen "chatty-1"
# positions: one execution, one task; the executions pane has the focus
screen | head -1 | grep -q "row 1/1 " || fail "the header shows no position in the executions: $(screen | head -1)"
screen | grep "STATUS" | grep -q "^>" || fail "the focused pane is not marked: $(screen | grep STATUS)"
screen | grep "TASK STATUS" | grep -q "1/1\$" || fail "the tasks pane shows no position"
# the detail follows the newest lines: line 30 shows, line 1 does not
expect_screen "| line 30"
screen | grep -q "| line 1\$" && fail "the detail shows the oldest line, not the newest"
# in the detail pane G goes to the last line and no further
keys Tab Tab
# (each key's effect waited for: keys() waits 0.15 s, which a loaded
# machine may not keep to)
for _ in $(seq 50); do screen | grep "DETAIL" | grep -q "^>" && break; sleep 0.1; done
screen | grep "DETAIL" | grep -q "^>" || fail "the detail pane's focus is not marked"
keys G
# the detail's position once G moved it to the end (N-T/T)
for _ in $(seq 50); do screen | grep "DETAIL" | grep -qE '[0-9]+-([0-9]+)/\1$' && break; sleep 0.1; done
last=$(screen | grep "DETAIL" | grep -oE '[0-9]+-[0-9]+/[0-9]+$')
keys G G
again=$(screen | grep "DETAIL" | grep -oE '[0-9]+-[0-9]+/[0-9]+$')
[ -n "$last" ] && [ "$last" = "$again" ] || fail "G went past the last line: '$last' then '$again'"
case $last in *-*/*) total=${last#*/}; shown=${last#*-}; shown=${shown%/*}
	[ "$shown" = "$total" ] || fail "G does not show the last line: $last" ;; esac
screen | grep -q "import" || fail "the last line (an event) is not shown after G"
keys g
expect_screen "| line 1"
# at 80x24 the footer holds whole keys and always ends with help and quit;
# the help is wrapped and scrolls, so its last keys can be read
screen | tail -1 | grep -qE '  \? help  q quit *$' || fail "the footer at 80 columns: '$(screen | tail -1)'"
screen | tail -1 | grep -qE 'sear$|/ s' && fail "the footer cuts a key: '$(screen | tail -1)'"
keys '?'
expect_screen "seetop keys 1-20/"
screen | grep -q "^  q  " && fail "the help at 80x24 has room for every line?"
keys G
expect_screen "  q        quit (or close the help)"
expect_screen "           clear a filter"
range=$(screen | grep -oE 'seetop keys [0-9]+-[0-9]+/[0-9]+')
from=${range#seetop keys }; from=${from%%-*}
to=${range#*-}; total=${to#*/}; to=${to%/*}
[ "$to" = "$total" ] || fail "G in the help does not reach its last line: $range"
keys k
expect_screen "seetop keys $((from - 1))-$((to - 1))/$total"
keys q
expect_gone "seetop keys"
keys q
finish
