#!/bin/sh
# readers.sh - a replica's long reads run on its reader threads while the
# master's log is applied: exports, verifies and lists of what waits at
# the replicas, in a loop, while changes are made at the master and through
# a replica.  Each read must end well (a read that meets the log's apply is
# tried again), each export must hold every execution once, and each
# verify must find no problem (one state of the store).  A replica has no
# snapshots (Berkeley DB 5.3 refuses them there): its readers read with
# locks.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

make_group
python3 - "$work/many.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("executions:\n")
    for i in range(2000):
        f.write(f"""- id: load-{i:05d}
  workflow_name: Replica reads
  start_timestamp: 2025-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z
  status: running
  tasks:
  - {{task_id: t1, status: pending}}
""")
PY
on 1 import "$work/many.yaml"
expect_rc 0 "import 2,000 executions at the master"
count_at() { "$SEECTL" --home "$(site_home "$1")" export 2>/dev/null | grep -c '^- id: '; }
for n in 2 3; do
	wait_for 30 sh -c "[ \"\$('$SEECTL' --home '$(site_home $n)' export 2>/dev/null | grep -c '^- id: ')\" -eq 2001 ]" ||
		fail "site $n never held the 2,001 executions (it holds $(count_at $n))"
done
[ "$failures" -eq 0 ] || finish

# the readers: at sites 2 and 3, each read checked as it ends
mkdir "$work/reads"
reads() {
	n=$1
	i=0
	while [ ! -e "$work/reads/stop" ]; do
		i=$((i + 1))
		out=$work/reads/$n.$i
		if ! "$SEECTL" --home "$(site_home "$n")" export >"$out" 2>"$out.err"; then
			echo "export at site $n: $(cat "$out.err")" >>"$work/reads/failed"
		else
			all=$(grep -c '^- id: ' "$out")
			once=$(grep '^- id: ' "$out" | sort -u | wc -l)
			[ "$all" -eq 2001 ] && [ "$once" -eq 2001 ] ||
				echo "an export at site $n held $all executions, $once of them once" >>"$work/reads/failed"
		fi
		"$SEECTL" --home "$(site_home "$n")" verify >/dev/null 2>"$out.err" ||
			echo "verify at site $n: $(cat "$out.err")" >>"$work/reads/failed"
		"$SEECTL" --home "$(site_home "$n")" paused >/dev/null 2>"$out.err" ||
			echo "paused at site $n: $(cat "$out.err")" >>"$work/reads/failed"
		rm -f "$out" "$out.err"
		echo "$i" >"$work/reads/$n.count"
	done
}
reads 2 &
r2=$!
reads 3 &
r3=$!

# the changes: at the master, and through site 3, for 10 s and until each
# site has made two rounds of reads meanwhile (a slow machine: at most 60 s)
rounds_at() { cat "$work/reads/$1.count" 2>/dev/null || echo 0; }
changes=0
start=$(date +%s)
while now=$(date +%s) && [ "$now" -lt $((start + 10)) ] ||
	{ [ "$now" -lt $((start + 60)) ] && { [ "$(rounds_at 2)" -lt 2 ] || [ "$(rounds_at 3)" -lt 2 ]; }; }; do
	for at in 1 3; do
		on $at pause load-00100 t1
		expect_rc 0 "pause load-00100 through site $at"
		on $at resume load-00100
		expect_rc 0 "resume load-00100 through site $at"
		changes=$((changes + 2))
	done
done
touch "$work/reads/stop"
wait $r2 $r3
echo "changes made meanwhile: $changes in $(( $(date +%s) - start )) s; rounds of reads: site 2 $(rounds_at 2), site 3 $(rounds_at 3)"
[ -e "$work/reads/failed" ] && fail "reads at the replicas failed: $(sort "$work/reads/failed" | uniq -c | head -5)"
for n in 2 3; do
	[ "$(rounds_at $n)" -ge 2 ] || fail "site $n made fewer than 2 rounds of reads in 60 s of changes"
	on $n verify
	expect_rc 0 "verify at site $n after the changes"
	expect_out "no problems"
done
finish
