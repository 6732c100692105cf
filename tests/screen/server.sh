#!/usr/bin/env bash
# The dashboard and its store server: a change is pushed to the screen
# without a refresh tick; when the server is killed the dashboard keeps its
# screen, reconnects (starting a new server) and carries on; when the server
# is stopped (SIGSTOP), q still quits at once.
. "$(dirname "$0")/lib.sh"
# a slow refresh: only a push can show a change within a second
printf 'confirm: true\nrefresh_ms: 60000\n' >"$SEETOP_CONFIG"
load_demo
start
expect_screen "nightly-etl-1190"
keys n n
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause"
expect_screen "= paused            nightly-etl-1190" 1

# the server is killed: the screen stays, a new server takes over
pid=$(head -1 "$SEETOP_HOME/server.lock")
kill -9 "$pid"
sleep 1.5
expect_screen "nightly-etl-1190"
"$SEECTL" resume nightly-etl-1190 load >/dev/null || fail "seectl resume after the server was killed"
[ "$(head -1 "$SEETOP_HOME/server.lock")" != "$pid" ] || fail "no new server"
# resumed, running with no engine to move it on (an imported execution)
expect_screen "? no engine         nightly-etl-1190" 3
keys q
expect_screen "[exit 0]"

# a stopped server: moving reads the selected execution, and the first
# read waits its 2 s and times out; those that follow are not made for 3 s,
# so the moves after it answer at once (each waited 2 s): 4 moves, each seen
# in the header's position before the next; the status line says why after
# the first (until the next key); once the server answers the details come
# back by themselves
start
expect_screen "nightly-etl-1190"
pid=$(head -1 "$SEETOP_HOME/server.lock")
kill -STOP "$pid"
row() { screen | head -1 | grep -oE "row [0-9]+/"; }
said=
t0=$(date +%s%3N)
for k in j j k k; do
	was=$(row)
	$T send-keys "$k"
	for _ in $(seq 1 100); do [ "$(row)" != "$was" ] && break; sleep 0.05; done
	[ "$(row)" != "$was" ] || fail "the dashboard did not move with its server stopped: $(screen | head -1)"
	if [ -z "$said" ]; then
		said=1
		expect_screen "reads wait 3 s: the store server of '$SEETOP_HOME'" 5
	fi
done
moves_ms=$(($(date +%s%3N) - t0))
# (each move waiting its 2 s, 4 took 8 s or more; once the first timed out,
# the 3 after it have 3 s)
[ "$moves_ms" -lt 6000 ] || fail "4 moves with the server stopped took $moves_ms ms (load $(cut -d' ' -f1 /proc/loadavg))"
echo "4 moves with the server stopped: $moves_ms ms (load $(cut -d' ' -f1 /proc/loadavg))"
expect_not_screen "execution deploy-prod-4821"
# and while it stays stopped no read waits its 2 s again: the server is
# asked whether it answers with a short wait (0.3 s), each time later (3,
# 6, 12 s): 16 moves over about 8 s, none waiting a second
slowest=0
for k in j k j k j k j k j k j k j k j k; do
	was=$(row)
	t1=$(date +%s%3N)
	$T send-keys "$k"
	for _ in $(seq 1 100); do [ "$(row)" != "$was" ] && break; sleep 0.02; done
	d=$(($(date +%s%3N) - t1))
	[ "$d" -gt "$slowest" ] && slowest=$d
	sleep 0.4
done
[ "$slowest" -lt 1000 ] || fail "a move took $slowest ms with the server stopped for a while (load $(cut -d' ' -f1 /proc/loadavg))"
echo "16 moves over 8 s with the server stopped: the slowest $slowest ms (load $(cut -d' ' -f1 /proc/loadavg))"
kill -CONT "$pid"
# a change pushed tells it the server answers again: reads go on at once
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause after SIGCONT"
expect_screen "execution deploy-prod-4821" 3
"$SEECTL" resume nightly-etl-1190 load >/dev/null || fail "seectl resume after SIGCONT"
kill -STOP "$pid"
t0=$(date +%s%N)
keys q
expect_screen "[exit 0]" 2
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 1000 ] || fail "q took $(((t1 - t0) / 1000000)) ms with the server stopped"
kill -CONT "$pid"

# seectl server stop under an open dashboard: it says so and starts nothing
# until a key (a dashboard left open must not undo the stop)
start
expect_screen "nightly-etl-1190"
"$SEECTL" server stop >/dev/null || fail "seectl server stop"
expect_screen "server stopped" 3
sleep 2.5
[ -S "$SEETOP_HOME/server.sock" ] && fail "the open dashboard started a server again after server stop"
"$SEECTL" server status >/dev/null 2>&1
[ $? -eq 3 ] || fail "server status does not say 'not running' with a dashboard open after the stop"
keys j
for _ in $(seq 1 60); do [ -S "$SEETOP_HOME/server.sock" ] && break; sleep 0.05; done
[ -S "$SEETOP_HOME/server.sock" ] || fail "a key did not start the server again"
"$SEECTL" pause nightly-etl-1190 load >/dev/null 2>&1
expect_screen "nightly-etl-1190" 2
# another program starts it: the dashboard carries on without a key
"$SEECTL" server stop >/dev/null
expect_screen "server stopped" 3
"$SEECTL" resume nightly-etl-1190 load >/dev/null || fail "seectl resume after the stop"
expect_screen "reconnected to the store server" 3
keys q
expect_screen "[exit 0]"
finish
