#!/usr/bin/env bash
# A task that names who may answer it: seetop says "you may not answer
# this", and why, before it prompts (r, R, x, X), and the store is unchanged.
. "$(dirname "$0")/lib.sh"
sed "s/test-waiting/guarded/" "$top_srcdir/tests/data/test-waiting.yaml" >"$work/g.yaml"
"$SEECTL" import "$work/g.yaml" >/dev/null || fail "import"
"$SEECTL" respondents guarded task1 someone-else @no-such-group >/dev/null || fail "respondents"
W=200 start
expect_screen "guarded"
keys r
expect_screen "may be answered only by someone-else, @no-such-group: user $(id -un) may not"
keys Escape
for k in r R x X; do
	keys "$k"
	expect_screen "you may not answer this: task 'task1' of execution 'guarded' may be answered only by some"
	expect_not_screen "[y/N]"
	expect_not_screen "Reason to"
	keys Escape
done
[ "$(json guarded "['execution']['status']")" = waiting-for-input ] || fail "the store changed"
# the task's detail says who may answer
"$SEECTL" show guarded | grep -q "answered by someone-else, @no-such-group" || fail "show does not say who may answer"
finish
