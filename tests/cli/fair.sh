#!/usr/bin/env bash
# fair.sh - a user who may only read cannot stop or slow the home's owner:
# connections are counted per user and an eighth of the server's are kept
# for the owner; a reader's long frame is refused from its first bytes; a
# connection whose answers are not read is not read either, and the
# buffers of every connection together stay under SEESTORE_BUFFER_MB; a
# user removed from the home's group loses its connections within
# SEESTORE_GROUP_CHECK_S.  Two users: root (the owner) and nobody, through
# setpriv; the group test makes a group of its own (groupadd).
. "$(dirname "$0")/lib.sh"
FLOOD=$top_builddir/tests/tools/flood
for need in setpriv groupadd gpasswd groupdel; do
	command -v "$need" >/dev/null || fail "fair.sh needs $need (util-linux, passwd) for a second user"
done
[ "$(id -u)" = 0 ] || fail "fair.sh needs root, to act as a second user (nobody)"
[ "$failures" -eq 0 ] || finish
group=seetop-fair-$$
trap 'groupdel "$group" 2>/dev/null; kill "${held:-}" "${srv:-}" 2>/dev/null; rm -rf "$work"' EXIT

# nobody, who may only read: the home is opened to its group as the README says
as_reader=(setpriv --reuid=65534 --regid=65534 --init-groups)
reader() { "${as_reader[@]}" "$@"; }
sock=$SEETOP_HOME/server.sock
ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# start_server VAR=VALUE...: the home's server in the foreground of this
# script, with settings a client's environment does not carry
start_server() {
	env "$@" ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4" "$SEESTORE_SERVER" --foreground "$SEETOP_HOME" \
		2>>"$work/server.err" &
	srv=$!
	for _ in $(seq 1 100); do [ -S "$sock" ] && [ "$(head -1 "$SEETOP_HOME/server.lock" 2>/dev/null)" = "$srv" ] && break; sleep 0.05; done
	[ -S "$sock" ] || fail "the server did not start: $(cat "$work/server.err")"
}
stop_server() {
	"$SEECTL" server stop >/dev/null
	wait "$srv" 2>/dev/null
	srv=
}
# owner_pause: the owner pauses and resumes a task; fails past 1 s, or
# past 3 whole-store reads where one takes longer (a sanitizer build): the
# server runs one request at a time, so the owner may wait for the read
# that runs when it asks, never for all those queued
bound_ms=1000
owner_pause() {
	local t0 t1
	t0=$(ms)
	run pause nightly-etl-1190 load
	expect_rc 0 "the owner's pause $1"
	t1=$(ms)
	run resume nightly-etl-1190
	expect_rc 0 "the owner's resume $1"
	[ $((t1 - t0)) -lt "$bound_ms" ] || fail "the owner's pause $1 took $((t1 - t0)) ms (bound $bound_ms ms)"
	echo "the owner's pause $1: $((t1 - t0)) ms"
}

run import "$top_srcdir/assets/demo.yaml"
expect_rc 0 "import the demo"
run gen --executions 5000
expect_rc 0 "gen 5000 executions"
run server stop
chmod 755 "$work"
chgrp 65534 "$SEETOP_HOME"
chmod 750 "$SEETOP_HOME"

# ---- connections: a reader is held to its own share; the owner is served ----
start_server SEESTORE_MAX_CLIENTS=40
"${as_reader[@]}" "$FLOOD" "$sock" hold 100 >"$work/held" &
held=$!
for _ in $(seq 1 100); do [ -s "$work/held" ] && break; sleep 0.05; done
sleep 0.2
[ "$(head -1 "$work/held")" = "held 32" ] || fail "a reader held '$(head -1 "$work/held")' connections, not the per-user 32"
grep -q "user nobody has 32 connections .* the per-user limit (SEESTORE_MAX_CLIENTS_PER_USER=32): close some" "$work/held" ||
	fail "the reader's refusal does not name the per-user limit: $(tail -1 "$work/held")"
reader "$SEECTL" list --limit 1 >"$work/out" 2>"$work/err"
rc=$?
expect_rc 3 "a reader's command over the per-user limit"
expect_err "user nobody has 32 connections"
expect_err "per-user limit"
expect_one_line
owner_pause "with a reader holding 32 connections"
run list --limit 1
expect_rc 0 "the owner's list with a reader holding 32 connections"
kill "$held"; wait "$held" 2>/dev/null; held=
stop_server

# the limit reaches a server that a client starts, as the client's setting
SEESTORE_MAX_CLIENTS_PER_USER=3 "$SEECTL" list --limit 1 >/dev/null || fail "a client starting the server"
"${as_reader[@]}" "$FLOOD" "$sock" hold 10 >"$work/held" &
held=$!
for _ in $(seq 1 100); do [ -s "$work/held" ] && break; sleep 0.05; done
sleep 0.2
[ "$(head -1 "$work/held")" = "held 3" ] ||
	fail "a reader held '$(head -1 "$work/held")' connections of a server a client started with a per-user limit of 3"
kill "$held"; wait "$held" 2>/dev/null; held=
"$SEECTL" server stop >/dev/null

# with a per-user limit above the server's share for others, the owner's
# eighth stays free
start_server SEESTORE_MAX_CLIENTS=40 SEESTORE_MAX_CLIENTS_PER_USER=100
"${as_reader[@]}" "$FLOOD" "$sock" hold 100 >"$work/held" &
held=$!
for _ in $(seq 1 100); do [ -s "$work/held" ] && break; sleep 0.05; done
sleep 0.2
[ "$(head -1 "$work/held")" = "held 35" ] || fail "readers held '$(head -1 "$work/held")' of 40 connections, not 35 (5 kept for the owner)"
grep -q "(5 of its 40 are kept for the owner)" "$work/held" || fail "the refusal does not say what is kept: $(tail -1 "$work/held")"
owner_pause "with readers holding every connection they may"
kill "$held"; wait "$held" 2>/dev/null; held=
stop_server

# ---- memory: unfinished frames and unread answers stay in the bound ----
limit_mb=64
start_server SEESTORE_BUFFER_MB=$limit_mb SEESTORE_CACHE_MB=16
"$SEECTL" export >/dev/null || fail "the owner's export" # the cache warm: what follows is buffers
t0=$(ms)
"$SEECTL" export >/dev/null
read_ms=$(($(ms) - t0))
[ $((read_ms * 3)) -gt "$bound_ms" ] && bound_ms=$((read_ms * 3))
echo "a whole-store read (the owner's export) alone: $read_ms ms; the owner's pause bound: $bound_ms ms"
base=$(rss_kb "$srv")
echo "the server before: ${base} kB"
# watch_rss PID MIN: the server's largest RSS over at least MIN seconds and
# until the flood PID has said what it sent (60 s at most); the flood is
# stopped once the server is 4 times the limit past where it began
watch_rss() {
	local top=0 r
	for i in $(seq 1 600); do
		r=$(rss_kb "$srv")
		[ "${r:-0}" -gt "$top" ] && top=$r
		if [ $((top - base)) -gt $((limit_mb * 4 * 1024)) ]; then
			kill "$1" 2>/dev/null
			break
		fi
		[ "$i" -ge $(($2 * 10)) ] && [ -s "$work/flood" ] && break
		sleep 0.1
	done
	echo "$top"
}
"${as_reader[@]}" "$FLOOD" "$sock" frames 20 60000000 >"$work/flood" &
held=$!
top=$(watch_rss "$held" 3)
owner_pause "with 20 unfinished frames of 60 MB"
cat "$work/flood"
grep -q "the server closed 20" "$work/flood" || fail "20 frames of 60 MB from a reader: $(cat "$work/flood")"
grep -q "a request of 60000000 bytes from user nobody, who may only read .* at most 128 KiB" "$SEETOP_HOME/server.log" ||
	fail "the log does not say why a reader's long frame was refused"
echo "the server with 20 unfinished frames of 60 MB: ${top} kB"
[ $((top - base)) -lt $((limit_mb * 1024)) ] || fail "20 unfinished frames grew the server by $(((top - base) / 1024)) MB, past its $limit_mb MB"
kill "$held" 2>/dev/null; wait "$held" 2>/dev/null; held=

"${as_reader[@]}" "$FLOOD" "$sock" each 20 50 >"$work/flood" &
held=$!
top=$(watch_rss "$held" 4)
owner_pause "with 1,000 whole-store reads unread"
top2=$(watch_rss "$held" 2)
[ "$top2" -gt "$top" ] && top=$top2
cat "$work/flood"
grep -q "sent 1000 whole-store reads" "$work/flood" || fail "the flood of reads: $(cat "$work/flood")"
peak=$(hwm_kb "$srv")
echo "the server with 1,000 whole-store reads unread: ${top} kB (its peak since it started: ${peak} kB)"
[ $((top - base)) -lt $((limit_mb * 1024)) ] || fail "1,000 unread whole-store reads grew the server by $(((top - base) / 1024)) MB, past its $limit_mb MB"
[ $((peak - base)) -lt $((limit_mb * 1024)) ] || fail "the server's peak was $(((peak - base) / 1024)) MB above where it began, past its $limit_mb MB"
# 20 answers of a whole store held unread (each a few MB) fill the 64 MB:
# past the limit a reader is told so in a line, the owner still served
reader "$SEECTL" export >"$work/out" 2>"$work/err"
rc=$?
expect_rc 3 "a reader's export past the buffers' limit"
expect_err "its limit (SEESTORE_BUFFER_MB=$limit_mb)"
expect_one_line
run export
expect_rc 0 "the owner's export with the buffers full"
kill "$held" 2>/dev/null; wait "$held" 2>/dev/null; held=
sleep 0.3
reader "$SEECTL" list --limit 1 >"$work/out" 2>"$work/err"
rc=$?
expect_rc 0 "a reader's list once the flood is gone"
stop_server

# ---- groups: one removed from the home's group is closed, and refused ----
groupadd "$group" || fail "groupadd $group"
gpasswd -a nobody "$group" >/dev/null || fail "gpasswd -a nobody $group"
gid=$(getent group "$group" | cut -d: -f3)
chgrp "$group" "$SEETOP_HOME"
start_server SEESTORE_GROUP_CHECK_S=1
"${as_reader[@]}" "$FLOOD" "$sock" watch >"$work/watch" &
held=$!
for _ in $(seq 1 100); do [ -s "$work/watch" ] && break; sleep 0.05; done
[ "$(cat "$work/watch")" = watching ] || fail "a member of $group could not watch: $(cat "$work/watch")"
reader "$SEECTL" list --limit 1 >"$work/out" 2>"$work/err"
rc=$?
expect_rc 0 "a member of the home's group lists"
gpasswd -d nobody "$group" >/dev/null || fail "gpasswd -d nobody $group"
t0=$(ms)
for _ in $(seq 1 100); do grep -q closed "$work/watch" && break; sleep 0.05; done
grep -q closed "$work/watch" || fail "a watcher removed from $group still watches after 5 s"
echo "a watcher removed from the home's group: closed after $(($(ms) - t0)) ms"
# a process started before the removal keeps the group in its credentials
setpriv --reuid=65534 --regid=65534 --groups="$gid" "$SEECTL" list --limit 1 >"$work/out" 2>"$work/err"
rc=$?
expect_rc 1 "a user removed from the home's group"
expect_err "user nobody is not in group $group, which may read"
expect_one_line
grep -q "user nobody is no longer in group $group" "$SEETOP_HOME/server.log" || fail "the log does not say why the watcher was closed"
owner_pause "after a reader's removal"
stop_server
finish
