#!/bin/sh
# seerun_logcap.sh - a task's stored log is capped (--log-cap,
# $SEERUN_LOG_CAP; 64 MiB by default).  The store only appends, so the first
# half of the cap is stored as it comes; past it the newest lines wait in a
# ring of the other half and are stored when the command ends, after one line
# that says how many were dropped in between.  A line costs its bytes, its
# newline and 32 bytes for its record in the store.  Here: 2,000,000 lines
# (15 MB) under a 1 MiB and a 512 KiB cap, and yes for 3 s.
. "${SEETOP_TOP_SRCDIR:?}/tests/cli/lib.sh"
SEERUN=$top_builddir/cli/seerun
WF=$DATA/workflows

# capped EXEC CAP-BYTES: checks the flood task's whole stored log
capped() {
	"$SEECTL" export --format json >"$work/exp.json" || { fail "export"; return; }
	python3 - "$work/exp.json" "$1" "$2" <<'PY' || fail "$1: the capped log is not as expected"
import json, re, sys
exp, cap = sys.argv[2], int(sys.argv[3])
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["execution"]["id"] != exp:
        continue
    t = {x["task_id"]: x for x in d["tasks"]}
    logs = t["flood"]["logs"]
    assert t["flood"]["status"] == "complete" and t["after"]["status"] == "complete", (t["flood"]["status"], t["after"]["status"])
    # each line costs its bytes, its newline and 32 bytes for its record:
    # at most the cap, give or take the two lines seerun adds
    size = sum(len(l) + 1 + 32 for l in logs)
    assert size <= cap + 400, ("stored", size, "bytes over a cap of", cap)
    assert size >= cap * 0.9, ("stored only", size)
    # the newest line is there: the last the command printed
    assert logs[-1] == "2000000", logs[-3:]
    # the first half: 1.., then a line saying the cap was reached
    notes = [i for i, l in enumerate(logs) if l.startswith("seerun: ")]
    assert len(notes) == 2, [logs[i] for i in notes]
    head, ring = logs[:notes[0]], logs[notes[1] + 1:]
    assert "reached half its cap of %d KiB" % (cap // 1024) in logs[notes[0]] or \
           "reached half its cap of %d MiB" % (cap >> 20) in logs[notes[0]], logs[notes[0]]
    assert notes[1] == notes[0] + 1, "lines between the two notes"
    assert head == [str(i) for i in range(1, len(head) + 1)], "the head is not 1..N"
    assert ring == [str(i) for i in range(2000001 - len(ring), 2000001)], "the newest lines are not contiguous"
    m = re.match(r"seerun: (\d+) lines dropped here", logs[notes[1]])
    assert m, logs[notes[1]]
    assert int(m.group(1)) == 2000000 - len(head) - len(ring), (m.group(1), len(head), len(ring))
    assert t["flood"]["log_count"] == len(logs)
    print("%s: %d lines, %d bytes stored; %s" % (exp, len(logs), size, logs[notes[1]]), file=sys.stderr)
    sys.exit(0)
sys.exit("no execution " + exp)
PY
}

# ---- the cap from the environment ----
SEERUN_LOG_CAP=1M "$SEERUN" --id env1 "$WF/flood.json" >/dev/null 2>"$work/err" || fail "flood.json: $(cat "$work/err")"
capped env1 1048576
# ---- from the option, which wins over the environment ----
SEERUN_LOG_CAP=64M "$SEERUN" --log-cap 512K --id opt1 "$WF/flood.json" >/dev/null 2>"$work/err" || fail "flood.json --log-cap: $(cat "$work/err")"
capped opt1 524288
# ---- yes for 3 s: "y" lines cost their record too; the last line is kept ----
SEERUN_LOG_CAP=1M "$SEERUN" --id yes1 "$WF/yes.json" >/dev/null 2>"$work/err" || fail "yes.json: $(cat "$work/err")"
"$SEECTL" export --format json >"$work/exp.json"
python3 - "$work/exp.json" <<'PY' || fail "yes.json: the capped log is not as expected"
import json, re, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["execution"]["id"] != "yes1":
        continue
    logs = d["tasks"][0]["logs"]
    size = sum(len(l) + 33 for l in logs)
    assert size <= (1 << 20) + 400, size
    assert logs[-1] == "the last line", logs[-2:]
    m = [re.match(r"seerun: (\d+) lines dropped here", l) for l in logs]
    n = [int(x.group(1)) for x in m if x]
    assert len(n) == 1 and n[0] > 100000, n
    others = [l for l in logs if l != "y"]
    assert len(others) == 3 and others[0].startswith("seerun: this log reached half its cap of 1 MiB") and \
        m[logs.index(others[1])] and others[2] == "the last line", others
    print("yes1: %d lines stored, %d dropped" % (len(logs), n[0]), file=sys.stderr)
    sys.exit(0)
sys.exit("no execution yes1")
PY

# ---- under the cap (the default, 64 MiB) nothing is dropped or added ----
"$SEERUN" --id many "$WF/lines.json" >/dev/null 2>&1 || fail "lines.json"
run show many --json
[ "$(json '["tasks"][0]["log_count"]')" = 100000 ] || fail "lines.json: $(json '["tasks"][0]["log_count"]') lines"
run show many
expect_no_out "seerun: "

# ---- bad sizes ----
"$SEERUN" --log-cap 12X "$WF/tree.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "--log-cap 12X"
expect_one_line
expect_err "bad value '12X' for --log-cap: a size from 64K to 1024G"
"$SEERUN" --log-cap 1000 "$WF/tree.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "--log-cap below 64K"
SEERUN_LOG_CAP=lots "$SEERUN" "$WF/tree.json" >"$work/out" 2>"$work/err"
rc=$?
expect_rc 2 "SEERUN_LOG_CAP=lots"
expect_err "bad value 'lots' in \$SEERUN_LOG_CAP"
finish
