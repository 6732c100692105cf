#!/usr/bin/env bash
# Many dashboards, one writer (#20): 20 read-only dashboards stay open while
# a program makes 2,001 changes as fast as it can. Every dashboard ends
# showing the last change, and together they ask the server little: at most
# a tenth of (dashboards x changes) requests (server status counts the
# requests of read-only connections), and at most a few per redraw, so that a
# push costs each dashboard one small reload, not a read of every waiting
# execution. A subscriber meanwhile is sent at most one push every 10 ms,
# the changes in between merged into it.
. "$(dirname "$0")/lib.sh"
CHURN=$top_builddir/tests/tools/churn
PUSHCOUNT=$top_builddir/tests/tools/pushcount
K=20
CHANGES=2001
printf 'confirm: true\nrefresh_ms: 60000\nmax_fps: 10\n' >"$SEETOP_CONFIG"
load_demo
for i in $(seq "$K"); do
	cmd="env TERM=$SEETOP_TERM SEETOP_TRACE_PUSH=$work/trace.$i $SEETOP --read-only"
	if [ "$i" = 1 ]; then
		$T -f /dev/null new-session -d -x 100 -y 30 "$cmd"
	else
		$T new-window -d "$cmd"
	fi
done
windows=$($T list-windows -F '#{window_index}')
# showing TEXT SECONDS: how many dashboards show TEXT, once all do or the
# time is up
showing() {
	local n=0 w deadline=$((SECONDS + $2))
	while :; do
		n=0
		for w in $windows; do
			$T capture-pane -p -t ":$w" | grep -qF -- "$1" && n=$((n + 1))
		done
		[ "$n" -ge "$K" ] || [ $SECONDS -gt $deadline ] && break
		sleep 0.1
	done
	echo "$n"
}
# every dashboard up and showing the demo
up=$(showing "nightly-etl-1190" 20)
[ "$up" -ge "$K" ] || fail "$up of $K dashboards showed the demo"
sleep 0.5
ro() { "$SEECTL" server status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_read_only"])'; }
before=$(ro)
for i in $(seq "$K"); do : >"$work/trace.$i"; done
coproc PC { "$PUSHCOUNT" "$SEETOP_HOME" 8; }
read -r ready <&"${PC[0]}"
[ "$ready" = ready ] || fail "pushcount did not subscribe"
read -r first last < <("$CHURN" "$SEETOP_HOME" nightly-etl-1190 load "$CHANGES") || fail "churn"
# the last change (a pause) on every dashboard
shown=$(showing "= paused            nightly-etl-1190" 10)
[ "$shown" -ge "$K" ] || fail "$shown of $K dashboards show the last change (a pause)"
read -r pushes <&"${PC[0]}"
span_ms=$(((last - first) / 1000))
most=$((span_ms / 10 + 5))
echo "a subscriber was sent $pushes pushes for $CHANGES changes in $span_ms ms (at most $most)"
[ "$pushes" -ge 1 ] && [ "$pushes" -le "$most" ] || fail "a subscriber was sent $pushes pushes in $span_ms ms: not 1 to $most"
sleep 0.5
after=$(ro)
redraws=$(cat "$work"/trace.* | wc -l)
asked=$((after - before - 1)) # the status request above is not a dashboard's
bound=$((K * CHANGES / 10))
echo "$K dashboards, $CHANGES changes: $asked requests from the dashboards (at most $bound), $redraws redraws from pushes"
[ "$asked" -le "$bound" ] || fail "the dashboards made $asked requests for $CHANGES changes: more than $bound"
[ "$redraws" -ge "$K" ] || fail "only $redraws redraws from pushes on $K dashboards"
# a reload is the page with its counts, the paused count, and the changed
# execution: a few requests, not one per waiting execution
per=$(awk -v a="$asked" -v r="$redraws" 'BEGIN { printf "%.1f", r ? a / r : a }')
echo "$per requests per redraw (at most 5)"
awk -v a="$asked" -v r="$redraws" 'BEGIN { exit !(a <= 5 * r) }' || fail "$per requests per redraw: more than 5"
finish
