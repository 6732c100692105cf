#!/bin/sh
# import_frames.sh - an import of several frames is all or nothing, whatever
# happens to the server between its frames: killed (kill -9), stopped
# (seectl server stop), or replaced by a newer build (a client of a newer
# protocol revision makes it leave).  Every run is acknowledged with every
# execution of the file, or fails with none of them imported; never part.
# SEETOP_IMPORT_FRAMES_RUNS runs per way (default 2; the issue asks 10).
. "$SEETOP_TOP_SRCDIR/tests/cli/lib.sh"

runs=${SEETOP_IMPORT_FRAMES_RUNS:-2}
n=1500
# about 45 MB: three frames of 16 MB
big_import "$work/big.yaml" "$n" fr

# count HOME: how many executions the home holds
count() { "$SEECTL" --home "$1" list --limit 1000000 --json 2>/dev/null | grep -c '"id"'; }

# rss HOME: the memory of the home's server (kB); it grows by a frame and
# its copy once the first frame is held
rss() {
	pid=$(head -1 "$1/server.lock" 2>/dev/null)
	v=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	echo "${v:-0}"
}

# one HOME WAY: an import, and the server made to go between its frames
one() {
	home=$1 way=$2
	"$SEECTL" --home "$home" --create list >/dev/null || { fail "$way: a home"; return; }
	if [ "$way" = upgrade ]; then
		# the server and the import of an older build
		"$SEECTL" --home "$home" server stop >/dev/null
		SEESTORE_PROTOCOL_REVISION=1 "$SEECTL" --home "$home" server start >/dev/null || { fail "$way: an old server"; return; }
	fi
	oldpid=$(head -1 "$home/server.lock")
	base=$(rss "$home")
	if [ "$way" = upgrade ]; then
		SEESTORE_PROTOCOL_REVISION=1 "$SEECTL" --home "$home" import "$work/big.yaml" >"$work/imp.out" 2>"$work/imp.err" &
	else
		"$SEECTL" --home "$home" import "$work/big.yaml" >"$work/imp.out" 2>"$work/imp.err" &
	fi
	imp=$!
	i=0
	while [ "$(rss "$home")" -lt $((base + 30000)) ] && kill -0 $imp 2>/dev/null && [ $i -lt 1200 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	between=0
	kill -0 $imp 2>/dev/null && between=1
	case $way in
	kill) kill -9 "$oldpid" ;;
	stop) "$SEECTL" --home "$home" server stop >/dev/null 2>&1 ;;
	upgrade) "$SEECTL" --home "$home" list --limit 1 >/dev/null 2>&1 ;;
	esac
	wait $imp
	irc=$?
	newpid=$(head -1 "$home/server.lock")
	[ "$newpid" != "$oldpid" ] || fail "$way: the server (pid $oldpid) did not go"
	got=$(count "$home")
	if [ $irc -eq 0 ]; then
		whole=$((whole + 1))
		[ "$got" -eq "$n" ] || fail "$way: acknowledged ($(cat "$work/imp.out")) with $got of $n executions in the store"
		grep -q "imported $n executions" "$work/imp.out" || fail "$way: the import said: $(cat "$work/imp.out")"
	else
		none=$((none + 1))
		[ "$got" -eq 0 ] || fail "$way: failed ($(cat "$work/imp.err")) with $got of $n executions in the store"
	fi
	hits=$((hits + between))
	"$SEECTL" --home "$home" server stop >/dev/null 2>&1
	rm -rf "$home"
}

# the file whole, undisturbed
run --home "$work/whole" import "$work/big.yaml"
expect_rc 0 "the import undisturbed"
expect_out "imported $n executions"
[ "$(count "$work/whole")" -eq "$n" ] || fail "the import undisturbed holds $(count "$work/whole") of $n"
"$SEECTL" --home "$work/whole" server stop >/dev/null 2>&1
rm -rf "$work/whole"

for way in kill stop upgrade; do
	hits=0 whole=0 none=0
	r=0
	while [ $r -lt "$runs" ]; do
		one "$work/h-$way-$r" $way
		r=$((r + 1))
	done
	echo "$way: $runs runs, the server gone between frames in $hits: $whole acknowledged whole, $none failed with nothing"
	# the server went while the import ran, after its first frame
	[ $hits -ge 1 ] || fail "$way: in no run did the server go between the frames"
done

finish
