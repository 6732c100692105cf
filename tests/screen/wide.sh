#!/usr/bin/env bash
# Columns by display width at 80x24: a Chinese name, emoji, combining marks
# and zero-width characters leave AGE and TASKS where an ASCII name leaves
# them, a cut ends in an ellipsis, and the row keeps 16 columns of name.
. "$(dirname "$0")/lib.sh"
"$SEECTL" import "$top_srcdir/tests/data/wide.yaml" >/dev/null || fail "importing wide.yaml"
W=80 H=24 START_ENV="LC_ALL=C.UTF-8 SEETOP_CLOCK=2026-11-27T07:00:00Z" start
expect_screen "plain-3"
# with a fixed clock the header is one whole known line (UTC)
expect_screen "seetop [RW]  running 3  waiting 0  complete 0  failed 0  07:00:00Z  row 1/3"
# the display width of each row, and the column where its AGE ends
screen >"$work/screen"
python3 - "$work/screen" <<'PY' || fail "rows are not aligned by display width: $(cat "$work/screen")"
import sys, unicodedata
def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch) or ch == "\u200b":
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return w
rows = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l.startswith("> running")]
assert len(rows) == 3, rows
ends = set()
for r in rows:
    r = r.rstrip()
    ends.add(width(r))
    assert "\u2026" in r or "plain-3" in r, r          # the long names are cut with an ellipsis
    age = r.split()[-2]
    assert age.endswith("h") or age.endswith("d"), r   # AGE and TASKS are still there
assert len(ends) == 1, ends                          # every row ends in the same column
assert ends.pop() == 80
PY
expect_screen "部署生产环境的工作流程名称很长很…"
screen | grep -F "部署生产环境" | grep -qE "… +40h +0$" || fail "the cut name is not followed by AGE and TASKS: $(screen | grep -F 部署)"
# the id column is as wide as the longest id on screen needs (12 at least)
expect_screen "STATUS            ID           WORKFLOW"
# a mark needs room in the header at 80 columns: the count of complete
# executions gives way first; the marks and the position stay
keys Space
expect_screen "seetop [RW]  running 3  waiting 0  failed 0  07:00:00Z  row 2/3  [marked 1]  "
keys q
# the same in seectl list on a terminal (into a pipe it cuts nothing): at
# 80 columns the name gets what the other columns leave (22), cut between
# whole wide characters; and a '~' for a locale that is not UTF-8
command -v script >/dev/null || fail "script (util-linux) is needed to give seectl a terminal"
script -qec "stty cols 80; LC_ALL=C.UTF-8 $SEECTL list" /dev/null >"$work/list"
grep -q "中文-1    部署生产环境的工作流…   2026-11-25T15:00:00Z" "$work/list" || fail "seectl list: $(cat "$work/list")"
script -qec "stty cols 80; LC_ALL=C $SEECTL list" /dev/null >"$work/list"
grep -q "~" "$work/list" || fail "seectl list in the C locale has no '~': $(cat "$work/list")"
finish
