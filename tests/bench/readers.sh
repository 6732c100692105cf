#!/usr/bin/env bash
# readers.sh - make bench-readers: what a user who may only read costs the
# engines while it exports and verifies a large home (issue 20's figures).
#   1. a writer's durable pause+resume changes per second on one task for
#      SECS seconds (tests/bench/fanout_writer), alone;
#   2. the same while nobody (setpriv) runs seectl export of the whole home
#      and seectl verify in a loop; the ratio of 2 to 1 (target >= 0.8);
#   3. the owner's seectl pause meanwhile, and alone (target < 50 ms; the
#      command's own start is in both).
# BENCH_EXECUTIONS (default 200000) sizes the home, made once with seectl gen
# under BENCH_HOME (default /var/tmp/seetop-bench-readers); needs root.
set -u
WRITER=${BENCH_WRITER:?run through make bench-readers}
SEECTL=${BENCH_SEECTL:?run through make bench-readers}
N=${BENCH_EXECUTIONS:-200000}
SECS=${BENCH_SECS:-10}
base=${BENCH_HOME:-/var/tmp/seetop-bench-readers}
home=$base/home-$N
export SEETOP_HOME=$home SEETOP_CONFIG=/dev/null
[ "$(id -u)" = 0 ] || { echo "readers.sh: needs root, to read as nobody" >&2; exit 1; }
as_reader=(setpriv --reuid=65534 --regid=65534 --init-groups)
ms() { date +%s%3N; }
bg=()
trap 'for p in "${bg[@]}"; do kill -- "-$p"; done 2>/dev/null' EXIT

if [ ! -d "$home" ]; then
	mkdir -p "$base"
	t0=$(ms)
	"$SEECTL" gen --executions "$N" >/dev/null || { echo "readers.sh: gen failed" >&2; exit 1; }
	printf 'executions:\n' >"$base/ends.yaml"
	for id in aaa-writer zzz-owner; do
		printf -- '- id: %s\n  workflow_name: Bench\n  start_timestamp: 2025-01-01T00:00:00Z\n  status: running\n  tasks:\n  - {task_id: t1, status: pending}\n' "$id" >>"$base/ends.yaml"
	done
	"$SEECTL" import "$base/ends.yaml" >/dev/null || exit 1
	"$SEECTL" server stop >/dev/null
	echo "home of $N executions made in $(($(ms) - t0)) ms"
fi
chmod 755 "$base"
chgrp 65534 "$home"
chmod 750 "$home"
"$SEECTL" server start >/dev/null || exit 1

rate() { "$WRITER" "$home" aaa-writer t1 rate "$SECS" | awk '{ printf "%.0f", $2 / $4 }'; }
# pauses K: the owner's pause of zzz-owner K times, one a 200 ms; prints the median and the largest (ms)
pauses() {
	local d all=()
	for _ in $(seq 1 "$1"); do
		local t0
		t0=$(ms)
		"$SEECTL" pause zzz-owner t1 >/dev/null || echo "readers.sh: the owner's pause failed" >&2
		d=$(($(ms) - t0))
		"$SEECTL" resume zzz-owner >/dev/null
		all+=("$d")
		sleep 0.2
	done
	printf '%s\n' "${all[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%d %d", v[int((NR + 1) / 2)], v[NR] }'
}

echo "load before: $(uptime)"
alone=$(rate) || { echo "readers.sh: the writer failed alone" >&2; exit 1; }
read -r p_med p_max < <(pauses 10)
# the reader's export and verify, each in a loop, in process groups of their own
setsid "${as_reader[@]}" bash -c 'while :; do "$1" export >/dev/null; done' x "$SEECTL" &
bg+=($!)
setsid "${as_reader[@]}" bash -c 'while :; do "$1" verify >/dev/null; done' x "$SEECTL" &
bg+=($!)
sleep 2
with=$(rate) || { echo "readers.sh: the writer failed with the reader's export and verify" >&2; exit 1; }
read -r l_med l_max < <(pauses 10)
echo "load during: $(uptime)"
for p in "${bg[@]}"; do kill -- "-$p" 2>/dev/null; done
bg=()
awk -v a="$alone" -v w="$with" -v n="$N" -v pm="$p_med" -v px="$p_max" -v lm="$l_med" -v lx="$l_max" 'BEGIN {
	printf "home: %d executions; writer: durable pause+resume on one task\n", n
	printf "writer alone:                         %8d changes/s\n", a
	printf "writer with a reader exporting+verify:%8d changes/s  ratio %.2f (target >= 0.80)\n", w, w / a
	printf "owner seectl pause alone:             median %d ms, max %d ms\n", pm, px
	printf "owner seectl pause with the reader:   median %d ms, max %d ms (target < 50 ms)\n", lm, lx
}'
"$SEECTL" server stop >/dev/null
