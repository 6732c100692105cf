#!/usr/bin/env bash
# program.sh - the store server is a program of its own: seestore-server,
# spawned with an explicit environment (never a fork of the caller), shown
# by its own name in ps, detached; only it links Berkeley DB; notification
# commands see the config's hook PATH and nothing of the client that started
# the server; an engine may start threads before it opens the store.
. "$(dirname "$0")/lib.sh"

SERVER=${SEESTORE_SERVER:?run through make check}
server_pid() { head -1 "$SEETOP_HOME/server.lock" 2>/dev/null; }
# the real program behind a libtool wrapper
real() { if [ -x "$(dirname "$1")/.libs/$(basename "$1")" ]; then echo "$(dirname "$1")/.libs/$(basename "$1")"; else echo "$1"; fi; }

# ---- only the server links Berkeley DB ----
command -v ldd >/dev/null || fail "ldd is missing (Debian package libc-bin)"
ldd "$SERVER" | grep -q 'libdb' || fail "ldd finds no libdb in seestore-server: the check below would prove nothing"
lib=$(ls "$top_builddir"/.libs/libseestore.so.* 2>/dev/null | head -1)
[ -n "$lib" ] || fail "no libseestore.so in $top_builddir/.libs"
for p in "$(real "$top_builddir/cli/seectl")" "$(real "$top_builddir/tui/seetop")" "$(real "$top_builddir/cli/seerun")" "$lib"; do
	[ -e "$p" ] || { fail "$p is missing"; continue; }
	ldd "$p" | grep -q 'libdb' && fail "$(basename "$p") links Berkeley DB: $(ldd "$p" | grep libdb)"
done

# ---- ps shows the server by its name and home; it is detached ----
run import "$DATA/test-waiting.yaml"
expect_rc 0 "import (starts the server)"
pid=$(server_pid)
[ -n "$pid" ] && [ -e "/proc/$pid" ] || fail "no server runs (server.lock: '$pid')"
args=$(ps -o args= -p "$pid")
[ "$args" = "seestore-server $SEETOP_HOME" ] || fail "ps shows the server as '$args', not 'seestore-server $SEETOP_HOME'"
[ "$(ps -o comm= -p "$pid")" = "seestore-server" ] || fail "the server's command name is '$(ps -o comm= -p "$pid")'"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "the server leads no session of its own (sid $(ps -o sid= -p "$pid"))"
# its descriptors: the three standard ones on /dev/null, and its own files
for fd in 0 1 2; do
	[ "$(readlink "/proc/$pid/fd/$fd")" = /dev/null ] || fail "the server's fd $fd is $(readlink "/proc/$pid/fd/$fd")"
done
grep -q '^SigBlk:[[:space:]]*0*$' "/proc/$pid/status" || fail "the server blocks signals: $(grep SigBlk "/proc/$pid/status")"
"$SEECTL" server stop >/dev/null

# ---- the server's environment: what it was given, nothing of the caller's ----
mkdir "$work/bin"
cat >"$work/hook.sh" <<'SH'
#!/bin/sh
env | sort >"$1"
SH
chmod +x "$work/hook.sh"
run notify add --on rejected -- "$work/hook.sh" "$work/hook.env"
expect_rc 0 "notify add"
"$SEECTL" server stop >/dev/null
PATH="$work/bin:$PATH" ONLY_IN_THE_CLIENT=leaked SEESTORE_HOOK_TIMEOUT_MS=4000 "$SEECTL" server start >/dev/null ||
	fail "server start"
pid=$(server_pid)
tr '\0' '\n' <"/proc/$pid/environ" | sort >"$work/server.env"
grep -q ONLY_IN_THE_CLIENT "$work/server.env" && fail "the server inherited a variable of its client"
grep -qx 'SEESTORE_HOOK_TIMEOUT_MS=4000' "$work/server.env" || fail "the server lacks its setting SEESTORE_HOOK_TIMEOUT_MS"
grep -q '^PATH=' "$work/server.env" && fail "the server was given its client's PATH"
run reject test-waiting task1 --reason "env check"
expect_rc 0 "reject (runs the hook)"
for _ in $(seq 1 100); do [ -s "$work/hook.env" ] && break; sleep 0.05; done
[ -s "$work/hook.env" ] || fail "the hook did not run: $(tail -3 "$SEETOP_HOME/server.log")"
grep -q ONLY_IN_THE_CLIENT "$work/hook.env" && fail "a hook sees a variable set only in the client that started the server"
grep -qx 'PATH=/usr/local/bin:/usr/bin:/bin' "$work/hook.env" || fail "the hook's PATH: $(grep ^PATH= "$work/hook.env")"
grep -qF "$work/bin" "$work/hook.env" && fail "the hook sees the client's PATH"
grep -qx 'SEETOP_EVENT=rejected' "$work/hook.env" || fail "the hook lacks its event: $(cat "$work/hook.env")"
"$SEECTL" server stop >/dev/null

# the config's hook_path is the hooks' PATH
printf 'confirm: true\nhook_path: %s/bin:/usr/bin:/bin\n' "$work" >"$work/none.yaml"
sed 's/test-waiting/path-check/' "$DATA/test-waiting.yaml" >"$work/pc.yaml"
run import "$work/pc.yaml"
expect_rc 0 "import"
rm -f "$work/hook.env"
run reject path-check task1 --reason "path check"
expect_rc 0 "reject"
for _ in $(seq 1 100); do [ -s "$work/hook.env" ] && break; sleep 0.05; done
grep -qx "PATH=$work/bin:/usr/bin:/bin" "$work/hook.env" || fail "the hook's PATH is not the config's hook_path: $(grep ^PATH= "$work/hook.env" 2>/dev/null)"
"$SEECTL" server stop >/dev/null
printf 'confirm: true\n' >"$work/none.yaml"

# ---- a server program that cannot be started is named in server.log ----
SEESTORE_SERVER=$work/no-such-server SEESTORE_TIMEOUT_MS=1500 "$SEECTL" list >"$work/out" 2>"$work/err"
rc=$?
expect_rc 3 "a missing server program"
expect_err "server.log"
expect_one_line
grep -qF "cannot start the store server $work/no-such-server: No such file or directory" "$SEETOP_HOME/server.log" ||
	fail "server.log does not name the missing program: $(tail -2 "$SEETOP_HOME/server.log")"

# ---- a server stopped (Ctrl-Z) whose queue of connections is full ----
# (a dashboard that retries each few seconds fills it in minutes): a call
# gives up at its timeout with one line, and starts no other server; a
# blocking connect would wait for as long as the server stays stopped
run list
expect_rc 0 "list before the stop"
spid=$(server_pid)
kill -STOP "$spid"
python3 - "$SEETOP_HOME/server.sock" >"$work/queued" <<'PY' &
import socket, sys, time
held = []
for _ in range(1000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except BlockingIOError:
        break
    held.append(s)
print(len(held), flush=True)
time.sleep(30)
PY
filler=$!
for _ in $(seq 1 50); do [ -s "$work/queued" ] && break; sleep 0.1; done
t0=$(date +%s%3N)
SEESTORE_TIMEOUT_MS=1500 timeout 20 "$SEECTL" list >"$work/out" 2>"$work/err"
rc=$?
took=$(($(date +%s%3N) - t0))
expect_rc 3 "a list with the server stopped and its queue full ($(cat "$work/queued") connections queued)"
expect_err "does not answer (is it stopped?)"
expect_one_line
[ "$took" -lt 6000 ] || fail "the list took $took ms with a timeout of 1.5 s"
[ "$(server_pid)" = "$spid" ] || fail "another server was started for a home whose server is stopped"
kill "$filler" 2>/dev/null
kill -CONT "$spid"
wait "$filler" 2>/dev/null
run list
expect_rc 0 "list once the server goes on"
"$SEECTL" server stop >/dev/null

# ---- an engine that starts 4 threads, then opens the store ----
out=$("$top_builddir/tests/tools/threaded_open" "$work/threads" 2>&1) || fail "threads, then the store: $out"
echo "$out"

finish
