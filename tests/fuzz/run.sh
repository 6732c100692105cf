#!/usr/bin/env bash
# run.sh CORPUS TARGET...: runs each libFuzzer target for $FUZZ_SECONDS on a
# copy of its seed corpus; any crash fails.  Prints runs and coverage.
set -u
corpus=$1
shift
secs=${FUZZ_SECONDS:-30}
status=0
for target in "$@"; do
	name=$(basename "$target")
	name=${name#fuzz_}
	work=$(mktemp -d "${TMPDIR:-/tmp}/seetop-fuzz-XXXXXX")
	cp -r "$corpus/$name/." "$work/"
	log=$work.log
	if "$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work" >"$log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
		cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
		echo "fuzz $name: ${runs:-?} runs in ${secs}s, $cov, corpus $(ls "$work" | wc -l) inputs, no crash"
	else
		echo "fuzz $name: FAILED"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -20
		status=1
	fi
	rm -rf "$work" "$log"
done
exit $status
