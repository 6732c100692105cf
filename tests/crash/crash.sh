#!/usr/bin/env bash
# Crash safety: a writer doing random pause / resume-task / resume-workflow /
# import operations on a home of 2000 executions is killed with SIGKILL at
# random moments, SEETOP_CRASH_KILLS times (20 in make check, 200 in make
# check-long).  After each kill a fresh process opens the home without manual
# recovery, verify passes, and every acknowledged operation is there.  Then:
# kills during a large import (all or nothing) and during an upgrade.
set -u
top_builddir=${SEETOP_TOP_BUILDDIR:?run through make check}
tool=$top_builddir/tests/crash/crashtool
kills=${SEETOP_CRASH_KILLS:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/seetop-crash-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
rand_sleep() { sleep "0.$(printf '%03d' $((RANDOM % ${1:-400} + 30)))"; }

home=$work/home
"$tool" setup "$home" 2000 || { echo "setup failed"; exit 1; }
total_acked=0
for i in $(seq 1 "$kills"); do
	"$tool" write "$home" "$work/ack" "$i" 2>"$work/writer.err" &
	pid=$!
	rand_sleep 400
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if grep -q . "$work/writer.err"; then fail "writer $i: $(cat "$work/writer.err")"; fi
	start=$SECONDS
	if ! out=$(timeout 60 "$tool" check "$home" "$work/ack" 2>&1); then
		fail "after kill $i: $out"
	fi
	[ $((SECONDS - start)) -le 20 ] || fail "opening after kill $i took $((SECONDS - start)) s"
	total_acked=$(echo "$out" | awk '/^acknowledged/ {print $2}')
done
echo "kills survived: $kills; operations acknowledged and found: ${total_acked:-0}"
[ "${total_acked:-0}" -gt 0 ] || fail "no operation was acknowledged: the writer never got going"

# a large import killed midway: all of it or none of it
for i in 1 2 3 4 5; do
	"$tool" bigimport "$home" 3000 2>/dev/null &
	pid=$!
	rand_sleep 900
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	n=$(timeout 60 "$tool" count "$home" big)
	case "$n" in
	0 | 3000) ;;
	*) fail "a killed import left $n of 3000 executions" ;;
	esac
	"$tool" open "$home" || fail "verify after a killed import"
	[ "$n" = 3000 ] && break
done

# an upgrade of a pre-pause home killed midway: the next open finishes it
for i in 1 2 3; do
	rm -rf "$work/legacy"
	"$tool" legacy "$work/legacy" 3000 || fail "making a legacy home"
	"$tool" open "$work/legacy" 2>/dev/null &
	pid=$!
	rand_sleep 150
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	timeout 60 "$tool" open "$work/legacy" || fail "opening a home whose upgrade was killed"
	[ "$(timeout 60 "$tool" count "$work/legacy" old)" = 3000 ] || fail "the upgrade lost executions"
done
[ "$failures" -eq 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }
