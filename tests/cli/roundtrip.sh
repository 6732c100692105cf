#!/usr/bin/env bash
# export -> import into an empty home -> export is byte-identical, hostile
# strings included; text output shows them escaped; legacy files load.
. "$(dirname "$0")/lib.sh"

# hostile data: escape sequences, an OSC title, a bell, invalid UTF-8 (as
# !!binary, the only way YAML holds raw bytes) and a 1 MiB line
python3 - "$work/hostile.yaml" <<'PY'
import base64, sys
big = "x" * 1048576
bad = base64.b64encode(b"bad \xff\xfe bytes").decode()
open(sys.argv[1], "w").write(f"""executions:
  - id: evil
    workflow_name: "\\e[2J\\e]0;pwned\\a wipe"
    start_timestamp: 2024-12-19T10:00:00Z
    status: running
    tasks:
      - task_id: t1
        task_name: "bell\\a and nul\\0 inside"
        status: in-progress
        logs: ["\\e[31mred\\e[0m", "{big}", !!binary "{bad}"]
""")
PY
run import "$top_srcdir/assets/demo.yaml" "$work/hostile.yaml"
expect_rc 0 "import the demo and the hostile data"
run export
expect_rc 0 "export"
cp "$work/out" "$work/first.yaml"
run --home "$work/second" import "$work/first.yaml"
expect_rc 0 "import the export into an empty home"
run --home "$work/second" export
cmp -s "$work/first.yaml" "$work/out" || fail "export -> import -> export is not byte-identical"
# - reads standard input
"$SEECTL" --home "$work/third" import - <"$work/first.yaml" >"$work/out" 2>"$work/err" || fail "import - failed: $(cat "$work/err")"
run --home "$work/third" export
cmp -s "$work/first.yaml" "$work/out" || fail "import from standard input is not the same"

run export --format json
expect_rc 0 "export --format json"
python3 -c 'import json,sys
for line in open(sys.argv[1]): json.loads(line)' "$work/out" || fail "JSON export is not valid JSON"

# hostile strings stay exact but are shown escaped
run show --json evil
python3 - "$work/out" <<'PY' || fail "hostile bytes changed on the way"
import json, sys
d = json.load(open(sys.argv[1]))
name = d["execution"]["workflow_name"]
assert name == "\x1b[2J\x1b]0;pwned\x07 wipe", repr(name)
logs = d["tasks"][0]["logs"]
assert len(logs[1]) == 1048576, len(logs[1])
# bytes that are not UTF-8: an object with the bytes in base64, exact
import base64
assert logs[2] == {"base64": base64.b64encode(b"bad \xff\xfe bytes").decode()}, repr(logs[2])
PY
# jq reads it too, without loss
if command -v jq >/dev/null; then
	jq -r '.tasks[0].logs[2].base64' "$work/out" | base64 -d | cmp -s - <(printf 'bad \xff\xfe bytes') ||
		fail "jq does not get the bytes back"
fi
run show evil
expect_out '\e[2J\e]0;pwned\x07 wipe'
expect_out 'bad \xff\xfe bytes'
if LC_ALL=C grep -q $'\x1b' "$work/out"; then fail "text output holds a raw ESC"; fi
if LC_ALL=C grep -q $'\x07' "$work/out"; then fail "text output holds a raw BEL"; fi
run list
if LC_ALL=C grep -q $'\x1b' "$work/out"; then fail "list holds a raw ESC"; fi

# a data file written before the pause fields existed
run --home "$work/legacy" import "$DATA/legacy.yaml"
expect_rc 0 "import a legacy data file"
run --home "$work/legacy" show --json old-run
[ "$(json "['execution']['is_paused']")" = False ] || fail "legacy is_paused defaults to false"
[ "$(json "['execution']['paused_task_id']")" = None ] || fail "legacy paused_task_id defaults to none"

# YAML anchors and block scalars
run --home "$work/anchors" import "$DATA/anchors.yaml"
expect_rc 0 "import with anchors and block scalars"
run --home "$work/anchors" show --json second
[ "$(json "['tasks'][0]['logs'][0]")" = "$(printf 'line one\nline two')" ] || fail "block scalar through an alias"
# ---- executions larger than a frame: export reads each log whole, page by
# page; import sends an execution too large to follow others in a frame of
# its own, and one larger than a frame in pieces ----
python3 - "$work/big.yaml" <<'PY'
import sys
line = "y" * 900000
with open(sys.argv[1], "w") as f:
    f.write("executions:\n")
    for eid, n in (("big-a", 11), ("big-b", 65)):
        f.write(f"  - id: {eid}\n    workflow_name: Big\n    start_timestamp: 2024-12-19T10:00:00Z\n")
        f.write("    status: complete\n    tasks:\n      - task_id: t1\n        status: complete\n        logs:\n")
        for i in range(n):
            f.write(f"          - '{i:04d} {line}'\n")
PY
run --home "$work/big" import "$work/big.yaml"
expect_rc 0 "import of 10 MB and 58 MB executions: 68 MB together"
"$SEECTL" --home "$work/big" export --format json >"$work/big.json" || fail "export of 72 MB"
python3 - "$work/big.json" <<'PY' || fail "the JSON export lost log lines"
import json, sys
got = {}
for l in open(sys.argv[1]):
    d = json.loads(l)
    logs = d["tasks"][0]["logs"]
    got[d["execution"]["id"]] = len(logs)
    assert all(x.startswith(f"{i:04d} ") and len(x) == 900005 for i, x in enumerate(logs)), "lines out of order"
assert got == {"big-a": 11, "big-b": 65}, got
PY
"$SEECTL" --home "$work/big" export >"$work/big-out.yaml" || fail "YAML export of 72 MB"
run --home "$work/big2" import "$work/big-out.yaml"
expect_rc 0 "import of the export"
[ "$("$SEECTL" --home "$work/big2" show --json big-b | python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["log_count"])')" = 65 ] ||
	fail "big-b after the round trip"
# one execution of 81 MB in two tasks, larger than any frame: its item goes
# with its first lines and the rest follows in pieces; the round trip is
# byte for byte
python3 - "$work/huge.yaml" <<'PY'
import sys
line = "z" * 900000
with open(sys.argv[1], "w") as f:
    f.write("executions:\n  - id: huge\n    workflow_name: Huge\n    start_timestamp: 2024-12-19T10:00:00Z\n")
    f.write("    status: complete\n    tasks:\n")
    for task, n in (("t1", 50), ("t2", 40)):
        f.write(f"      - task_id: {task}\n        status: complete\n        logs:\n")
        for i in range(n):
            f.write(f"          - '{task} {i:04d} {line}'\n")
PY
run --home "$work/huge" import "$work/huge.yaml"
expect_rc 0 "an execution larger than a frame"
expect_out "imported 1 execution"
"$SEECTL" --home "$work/huge" export >"$work/huge-1.yaml" || fail "export of 81 MB"
run --home "$work/huge2" import "$work/huge-1.yaml"
expect_rc 0 "import of its export"
"$SEECTL" --home "$work/huge2" export >"$work/huge-2.yaml" || fail "export of the copy"
cmp -s "$work/huge-1.yaml" "$work/huge-2.yaml" || fail "the 81 MB execution changed in the round trip"
"$SEECTL" --home "$work/huge2" export --format json | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
for t, n in (("t1", 50), ("t2", 40)):
    logs = next(x["logs"] for x in d["tasks"] if x["task_id"] == t)
    assert len(logs) == n and all(l.startswith(f"{t} {i:04d} ") for i, l in enumerate(logs)), (t, len(logs))
' || fail "the lines of the 81 MB execution after the round trip"
run --home "$work/huge2" verify
expect_rc 0 "verify after the large import"
finish
