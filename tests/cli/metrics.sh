#!/usr/bin/env bash
# seectl metrics prints the Prometheus text format: every family has its
# HELP and TYPE before its samples, names start with seetop_, counters end
# in _total, labels and values are well formed; and the values are the
# home's: executions by status, waiting tasks by why, the oldest wait,
# overdue deadlines, hooks run and failed, the server's generation.
# promtool checks the text too when it is installed (Debian: prometheus).
. "$(dirname "$0")/lib.sh"

# check_format FILE: the text format, strictly (exposition format 0.0.4)
check_format() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
bad = []
if not text.endswith("\n"):
    bad.append("no newline at the end")
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label_re = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
sample_re = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (\S+)$" % (name_re, label_re, label_re))
help_seen, type_of, done, series = set(), {}, set(), set()
current = None
for n, line in enumerate(text.splitlines(), 1):
    m = re.match(r"^# (HELP|TYPE) (%s) (.+)$" % name_re, line)
    if m:
        kind, name, rest = m.groups()
        if name != current:
            if current: done.add(current)
            if name in done: bad.append("%d: family %s is split" % (n, name))
            current = name
        if kind == "HELP":
            if name in help_seen: bad.append("%d: a second HELP for %s" % (n, name))
            help_seen.add(name)
        else:
            if rest not in ("counter", "gauge"): bad.append("%d: type %s" % (n, rest))
            if name in type_of: bad.append("%d: a second TYPE for %s" % (n, name))
            type_of[name] = rest
        continue
    if line.startswith("#") or not line:
        bad.append("%d: a stray line: %r" % (n, line)); continue
    m = sample_re.match(line)
    if not m:
        bad.append("%d: not a sample: %r" % (n, line)); continue
    name, labels, value = m.groups()
    if name != current: bad.append("%d: %s has no HELP/TYPE just before it" % (n, name))
    if name not in help_seen or name not in type_of: bad.append("%d: %s lacks HELP or TYPE" % (n, name))
    if not name.startswith("seetop_"): bad.append("%d: %s lacks the seetop_ prefix" % (n, name))
    if type_of.get(name) == "counter" and not name.endswith("_total"): bad.append("%d: counter %s" % (n, name))
    try:
        v = float(value)
        if v < 0 or v != int(v): bad.append("%d: %s is not a count" % (n, value))
    except ValueError:
        bad.append("%d: value %r" % (n, value))
    if (name, labels) in series: bad.append("%d: a duplicate series" % n)
    series.add((name, labels))
for name in type_of:
    if not any(s[0] == name for s in series): bad.append("family %s has no sample" % name)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}
# value NAME[{LABELS}]: a sample's value in $work/out
value() { awk -v k="$1" '$1 == k { print $2 }' "$work/out"; }

run import "$top_srcdir/assets/demo.yaml"
expect_rc 0 "import the demo"
run pause nightly-etl-1190 load
expect_rc 0 "pause"
run deadline scale-web-310 replicas 15m
expect_rc 0 "a deadline"
run notify add --on rejected -- /bin/false
expect_rc 0 "a hook that fails"
run reject deploy-prod-4821 approve --reason "not today"
expect_rc 0 "reject"

run metrics
expect_rc 0 "metrics"
check_format "$work/out" >"$work/bad" || fail "not the Prometheus text format: $(cat "$work/bad")"
[ "$(value 'seetop_executions{status="waiting-for-input"}')" = 5 ] || fail "waiting executions: $(cat "$work/out")"
[ "$(value 'seetop_executions{status="complete"}')" = 4 ] || fail "complete executions"
[ "$(value 'seetop_executions{status="failed"}')" = 2 ] || fail "failed executions"
[ "$(value 'seetop_waiting_tasks{reason="paused"}')" = 1 ] || fail "paused tasks"
[ "$(value 'seetop_waiting_tasks{reason="answer"}')" = 6 ] || fail "tasks waiting for an answer"
[ "$(value seetop_overdue_deadlines)" = 0 ] || fail "an overdue deadline before it is due"
[ "$(value seetop_store_generation)" -gt 0 ] || fail "the generation"
# the hook runs after the commit: wait for the server to count it
i=0
while [ "$(value seetop_hooks_failed_total)" != 1 ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && { fail "the failed hook was not counted: $(grep hooks "$work/out")"; break; }
	sleep 0.1
	run metrics
done
[ "$(value seetop_hooks_run_total)" = 1 ] || fail "hooks run"

# a day later (the clock of the ages and deadlines): the deadline is overdue,
# and the oldest wait is test-waiting's task, started 2024-12-19T10:00:00Z
later=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
SEETOP_CLOCK=$later run metrics
[ "$(value seetop_overdue_deadlines)" = 1 ] || fail "the overdue deadline: $(value seetop_overdue_deadlines)"
want=$(($(date -u -d "$later" +%s) - $(date -u -d 2024-12-19T10:00:00Z +%s)))
[ "$(value seetop_oldest_waiting_seconds)" = "$want" ] ||
	fail "the oldest wait: $(value seetop_oldest_waiting_seconds), expected $want"

if command -v promtool >/dev/null; then
	promtool check metrics <"$work/out" >"$work/promtool" 2>&1 || fail "promtool: $(cat "$work/promtool")"
fi

# a store that fails prints nothing on stdout
run --home "$work/none" metrics
expect_rc 1 "metrics of a home without a store"
[ -s "$work/out" ] && fail "metrics printed something for a home without a store"
expect_one_line
"$SEECTL" server stop >/dev/null 2>&1
finish
