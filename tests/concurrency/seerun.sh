#!/usr/bin/env bash
# Load: 20 seeruns at a time drive 100 executions while a dashboard is open
# and an operator script answers what waits.  Afterwards every execution is
# complete, verify is clean, and the audit trail of each one is exactly
# what happened: start, a begin and a complete per task, the request for
# input, one resume, finish.
set -u
top_srcdir=${SEETOP_TOP_SRCDIR:?run through make check}
top_builddir=${SEETOP_TOP_BUILDDIR:?run through make check}
SEECTL=$top_builddir/cli/seectl
SEERUN=$top_builddir/cli/seerun
SEETOP=$top_builddir/tui/seetop
total=${SEETOP_LOAD_RUNS:-100}
work=$(mktemp -d "${TMPDIR:-/tmp}/seetop-load-XXXXXX")
sock="seetop-load-$$"
T="tmux -L $sock"
trap '$T kill-server 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
export SEETOP_HOME=$work/home
export SEETOP_CONFIG=$work/config.yaml
printf 'confirm: false\nrefresh_ms: 200\n' >"$SEETOP_CONFIG"
mkdir -p "$SEETOP_HOME"
"$SEECTL" --create server start >/dev/null 2>&1
$T new-session -d -x 120 -y 30 "$SEETOP"

# the operator: answers whatever waits, until told to stop
(
	while [ ! -e "$work/stop" ]; do
		"$SEECTL" paused --json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    print(json.loads(line)["id"])' | while read -r id; do
			"$SEECTL" resume "$id" ok --input yes >/dev/null 2>&1
		done
		sleep 0.2
	done
) &
operator=$!

start=$(date +%s)
seq 1 "$total" | xargs -P 20 -I{} sh -c '"$1" --id "load-$2" --jobs 2 "$3" >/dev/null 2>>"$4/seerun.err" || echo "load-$2 exit $?" >>"$4/bad"' _ "$SEERUN" {} "$top_srcdir/tests/data/workflows/load.json" "$work"
touch "$work/stop"
wait "$operator"
echo "$total executions by 20 seeruns at a time in $(($(date +%s) - start)) s" >&2
[ -e "$work/bad" ] && fail "seerun failed: $(head -5 "$work/bad") $(head -5 "$work/seerun.err")"

"$SEECTL" list --json --status complete --limit 1000 | wc -l >"$work/n"
[ "$(cat "$work/n")" = "$total" ] || fail "$(cat "$work/n") of $total executions complete"
"$SEECTL" verify >"$work/verify" 2>&1 || fail "verify: $(cat "$work/verify")"
# the audit trail of each execution is what happened, once each
"$SEECTL" history --json --limit 100000 >"$work/history"
python3 - "$work/history" "$total" >"$work/audit" <<'PY' || fail "audit trail: $(head -5 "$work/audit")"
import json, sys, collections
want = collections.Counter({("start", None): 1, ("finish", None): 1, ("request-input", "ok"): 1,
                            ("resume-task", "ok"): 1, ("attach", None): 0})
for t in ("build", "test", "ok", "ship"):
    want[("begin", t)] = 1
    want[("complete", t)] = 1
got = collections.defaultdict(collections.Counter)
for line in open(sys.argv[1]):
    e = json.loads(line)
    got[e["execution_id"]][(e["action"], e.get("task_id"))] += 1
bad = 0
for n in range(1, int(sys.argv[2]) + 1):
    c = got.get("load-%d" % n, collections.Counter())
    c = +c
    w = +want
    if c != w:
        bad += 1
        print("load-%d: %s" % (n, dict(c - w) or dict(w - c)))
sys.exit(1 if bad else 0)
PY
# every ship saw the answer
for n in 1 $((total / 2)) "$total"; do
	"$SEECTL" show "load-$n" | grep -q "| shipped=true" || fail "load-$n: ship did not see the answer"
done
$T has-session 2>/dev/null || fail "the dashboard died"
[ $failures -eq 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }
exit 0
