#!/bin/bash
# owner_only.sh - what a user who may only read the home is not shown, and
# what the server counts for them: `notify list` gives them a hook's id and
# events, never its command or arguments (a chat webhook's token is one),
# while the owner sees all of it; `server status` counts the requests
# served since the server started, and those from read-only connections.
# Two users: root (the owner) and nobody, through setpriv.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	fail "owner_only.sh needs root and setpriv for a second user"
	finish
fi
nobody() { setpriv --reuid=65534 --regid=65534 --init-groups "$SEECTL" --home "$SEETOP_HOME" "$@" >"$work/out" 2>"$work/err"; rc=$?; }
token=xoxb-secret-token-4242
run import "$DATA/test-waiting.yaml"
expect_rc 0 "import"
run notify add --on waiting,rejected -- /bin/echo --token "$token" "https://chat.example/hook"
expect_rc 0 "notify add"
# the home opened to its group, as the README says for monitoring users
chmod 755 "$work"
chgrp 65534 "$SEETOP_HOME"
chmod 750 "$SEETOP_HOME"
"$SEECTL" server stop >/dev/null # the next server's socket is the group's

# ---- the owner sees the command ----
run notify list
expect_rc 0 "the owner's notify list"
expect_out "on waiting,rejected"
expect_out "$token"
expect_out "/bin/echo"
run notify list --json
expect_rc 0 "the owner's notify list --json"
[ "$(json '["command"][2]')" = "$token" ] || fail "the owner's --json lacks the token: $(cat "$work/out")"

# ---- nobody sees the id and the events, no command ----
nobody notify list
expect_rc 0 "nobody's notify list"
expect_out "1    on waiting,rejected"
expect_no_out "$token"
expect_no_out "/bin/echo"
expect_no_out "chat.example"
nobody notify list --json
expect_rc 0 "nobody's notify list --json"
[ "$(json '["id"]')" = 1 ] || fail "nobody's --json lacks the id: $(cat "$work/out")"
[ "$(json '["on"]')" = "waiting,rejected" ] || fail "nobody's --json lacks the events: $(cat "$work/out")"
[ "$(json '["command"]')" = "[]" ] || fail "nobody's --json shows a command: $(cat "$work/out")"
expect_no_out "$token"

# ---- requests served, and those from read-only connections ----
"$SEECTL" server stop >/dev/null
"$SEECTL" server start >/dev/null || fail "server start"
for i in 1 2 3 4 5; do nobody list; expect_rc 0 "nobody's list $i"; done
for i in 1 2 3; do run --read-only list; expect_rc 0 "a read-only list $i"; done
run list
expect_rc 0 "the owner's list"
run server status --json
expect_rc 0 "server status --json"
total=$(json '["requests"]')
ro=$(json '["requests_read_only"]')
# each seectl sends one request or a few: nobody's 5 and the 3 read-only
# runs are 8 at least of the read-only ones, and the owner's add to the total
[ "$ro" -ge 8 ] || fail "read-only requests: $ro, expected 8 at least"
[ "$total" -gt "$ro" ] || fail "requests: $total, not more than the $ro read-only ones"
run server status
expect_rc 0 "server status"
expect_out "requests   "
grep -qE "^requests   [0-9]+ served since it started, [0-9]+ of them read-only$" "$work/out" ||
	fail "server status lacks the requests line: $(cat "$work/out")"
"$SEECTL" server stop >/dev/null
finish
