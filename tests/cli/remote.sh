#!/usr/bin/env bash
# remote.sh - homes addressed as ssh://USER@HOST:PORT/PATH, through a real
# sshd on 127.0.0.1 (tests/remote/sshd.sh): seectl gives what it gives
# locally; a monitoring user's key gives a read-only console that may answer
# what names it; a key forced to the proxy can do nothing else; each failure
# is one line with its exit code; a lost connection is taken up again and a
# change sent again is made once.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/remote/sshd.sh"
SEERUN=$top_builddir/cli/seerun
sshd_start
export SEETOP_SSH=$SSH_WRAPPER
# the seectl of "the other host" is this build's (sshd gives it a clean
# environment: name the server program it starts, as the tests do)
remote_env="env SEESTORE_SERVER=${SEESTORE_SERVER:-} SEETOP_CONFIG=$work/none.yaml"
export SEETOP_REMOTE_SEECTL="$remote_env $SEECTL"
# ssh's shared connections of this test, apart from any other's
export XDG_RUNTIME_DIR=$work/run
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$work/run2"
chmod 700 "$work/run2"
me=$(id -un)
R="ssh://$me@127.0.0.1:$SSHD_PORT$SEETOP_HOME"
RMON="ssh://$MON@127.0.0.1:$SSHD_PORT$SEETOP_HOME"

for i in 1 2 3; do
	sed "s/test-waiting/r$i/" "$DATA/test-waiting.yaml" >"$work/r$i.yaml"
done
run import "$work/r1.yaml" "$work/r2.yaml" "$work/r3.yaml" "$top_srcdir/assets/demo.yaml"
expect_rc 0 "import"
# the home opened to the monitoring user's group, as for local monitoring users
chgrp "$MON" "$SEETOP_HOME"
chmod 750 "$SEETOP_HOME"

# ---- the same answers as locally ----
for args in "list" "show r1" "paused --json" "history r1 --json" "list --json"; do
	# shellcheck disable=SC2086
	run --home "$R" $args
	expect_rc 0 "over ssh: $args"
	cp "$work/out" "$work/remote.out"
	# shellcheck disable=SC2086
	run $args
	cmp -s "$work/out" "$work/remote.out" || fail "over ssh, '$args' differs from the local answer: $(diff "$work/out" "$work/remote.out" | head -5)"
done
run --home "$R" pause nightly-etl-1190 load
expect_rc 0 "pause over ssh"
run show nightly-etl-1190 --json
grep -q '"is_paused": *true' "$work/out" || fail "the pause over ssh is not in the home"
run --home "$R" resume r1 task1 --input yes
expect_rc 0 "resume with a value over ssh"
run history r1 --json
grep '"action":"resume-task"' "$work/out" | grep -q "\"user\":\"$me\"" || fail "the answer over ssh is not recorded as $me's"

# ---- which host answered ----
run --home "$R" server status
expect_rc 0 "server status over ssh"
expect_out "host       127.0.0.1 (over ssh)"
run --home "$R" server stop
expect_rc 1 "server stop over ssh"
expect_one_line
expect_err "is on another host"

# ---- the monitoring user: read-only, may answer what names it ----
run --home "$RMON" list
expect_rc 0 "the monitoring user lists"
run --home "$RMON" pause r2 task1
expect_rc 1 "the monitoring user's pause"
expect_one_line
run respondents r2 task1 "$MON"
expect_rc 0 "respondents r2 task1 $MON"
run --home "$RMON" resume r2 task1 --input yes
expect_rc 0 "the monitoring user answers what names it"
run history r2 --json
grep '"action":"resume-task"' "$work/out" | grep -q "\"user\":\"$MON\"" || fail "the answer is not recorded as $MON's"

# ---- a key forced to the proxy can do nothing else ----
key=$(sshd_key_forced "$MON" "$remote_env $SEECTL --home $SEETOP_HOME server proxy")
out=$(timeout 20 ssh -F "$sshdir/ssh_config" -o IdentityFile="$key" -T -o BatchMode=yes -p "$SSHD_PORT" "$MON@127.0.0.1" id </dev/null 2>&1)
case $out in *uid=*) fail "a key forced to the proxy ran 'id': $out" ;; esac

# ---- every failure is one line, with its exit code ----
SEETOP_SSH=/nonexistent/ssh run --home "$R" list
expect_rc 3 "ssh missing"
expect_one_line
expect_err "/nonexistent/ssh"
run --home "ssh://$me@127.0.0.1:$(free_port)$SEETOP_HOME" list
expect_rc 3 "host unreachable"
expect_one_line
expect_err "Connection refused"
run --home "ssh://nobody@127.0.0.1:$SSHD_PORT$SEETOP_HOME" list
expect_rc 3 "authentication refused"
expect_one_line
expect_err "Permission denied"
cp "$sshdir/known_hosts" "$work/known_hosts.good"
ssh-keygen -q -t ed25519 -N '' -f "$work/other_host" >/dev/null
printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$work/other_host.pub")" >"$sshdir/known_hosts"
# a new ssh connection (not the shared one, which was checked when made)
XDG_RUNTIME_DIR=$work/run2 run --home "$R" list
expect_rc 3 "host key changed"
expect_err "Host key verification failed"
cp "$work/known_hosts.good" "$sshdir/known_hosts"
SEETOP_REMOTE_SEECTL=/nonexistent/seectl run --home "$R" list
expect_rc 3 "seectl missing on the host"
expect_one_line
expect_err "cannot run seectl on 127.0.0.1"
# the host's seetop older than this one (its server acts as protocol revision 1)
"$SEECTL" --home "$work/old" --create list >/dev/null 2>&1
"$SEECTL" --home "$work/old" server stop >/dev/null 2>&1
SEESTORE_PROTOCOL_REVISION=1 "$SEECTL" --home "$work/old" server start >/dev/null 2>&1
SEETOP_REMOTE_SEECTL="env SEESTORE_PROTOCOL_REVISION=1 $remote_env $SEECTL" run --home "ssh://$me@127.0.0.1:$SSHD_PORT$work/old" list
expect_rc 3 "the host's seetop is older"
expect_one_line
expect_err "is older than this program"
"$SEECTL" --home "$work/old" server stop >/dev/null 2>&1
run --home "ssh://$me@127.0.0.1:$SSHD_PORT$work/nohome" list
expect_rc 1 "no store at the path"
expect_one_line
expect_err "no store in"
run --home "ssh://$me@127.0.0.1:99999/x" list
expect_rc 1 "a bad port"
expect_err "the port must be 1 to 65535"
run --home "ssh://127.0.0.1" list
expect_rc 1 "no path"
expect_err "ssh://[USER@]HOST[:PORT]/ABSOLUTE/PATH"

# ---- a stopped ssh slows nobody else ----
# a program that keeps its connection (history --follow), its ssh stopped
"$SEECTL" --home "$R" history --follow >/dev/null 2>&1 &
follower=$!
stopped=
for _ in $(seq 1 100); do
	stopped=$(pgrep -f "ssh -F $sshdir/ssh_config.*server proxy" | head -1)
	[ -n "$stopped" ] && break
	sleep 0.05
done
[ -n "$stopped" ] && kill -STOP "$stopped"
[ -n "$stopped" ] || fail "no ssh client to stop"
t0=$(date +%s%N)
run list
expect_rc 0 "a local list while an ssh client is stopped"
run --home "$R" list
expect_rc 0 "another program's list over ssh while an ssh client is stopped"
[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 ] || fail "a list waited for another program's stopped ssh client"
[ -n "$stopped" ] && kill -CONT "$stopped"
kill "$follower" 2>/dev/null
wait "$follower" 2>/dev/null

# ---- the connection lost between two commands, then a change sent again ----
sshd_stop
run --home "$R" list
expect_rc 3 "with sshd gone"
expect_one_line
sshd_start
run --home "$R" resume r3 task1 --input yes
expect_rc 0 "an answer once sshd is back"

# ---- kill -9 of the host's proxy in the middle of an import: all or nothing,
# and the command sent again imports once ----
n=1000
big_import "$work/big.yaml" "$n" rx
count_rx() { "$SEECTL" list --limit 1000000 --json 2>/dev/null | grep -c '"id":"rx-'; }
"$SEECTL" --home "$R" import "$work/big.yaml" >"$work/imp.out" 2>"$work/imp.err" &
imp=$!
killed=0
for _ in $(seq 1 400); do
	p=$(pgrep -f "seectl --home $SEETOP_HOME server proxy" | head -1)
	# once the proxy has carried a megabyte of the import
	if [ -n "$p" ] && [ "$(awk '/^rchar:/ { print $2 }' "/proc/$p/io" 2>/dev/null || echo 0)" -gt 1000000 ]; then
		kill -9 "$p" && killed=1
		break
	fi
	sleep 0.02
done
wait $imp
irc=$?
[ $killed -eq 1 ] || fail "the import ended before its proxy could be killed"
echo "an import over ssh, its proxy killed: exit $irc, $(count_rx) of $n executions"
got=$(count_rx)
if [ $irc -eq 0 ]; then
	[ "$got" -eq "$n" ] || fail "an import over ssh acknowledged with $got of $n executions ($(cat "$work/imp.out"))"
else
	[ "$got" -eq 0 ] || fail "an import over ssh failed ($(cat "$work/imp.err")) with $got of $n executions in the home"
	run --home "$R" import "$work/big.yaml"
	expect_rc 0 "the import over ssh sent again"
	[ "$(count_rx)" -eq "$n" ] || fail "the import sent again left $(count_rx) of $n executions"
fi
run --home "$R" import "$work/big.yaml"
expect_rc 1 "the same import once more"
[ "$(count_rx)" -eq "$n" ] || fail "a second import of the same file left $(count_rx) executions, not $n"
run verify
expect_rc 0 "verify after the imports over ssh"

# ---- seerun over ssh: its input answered locally ----
cat >"$work/wf.json" <<'JSON'
{"id": "remote-approval", "name": "Remote approval", "tasks": [
 {"id": "ask", "name": "Ask", "function": {"name": "user_input", "input": {"prompt": "Go on?", "input_type": "boolean", "required": true}},
  "next_tasks": [{"id": "after", "name": "After", "function": {"name": "cli_command", "input": {"command": "echo", "args": ["remote-done"]}}}]}]}
JSON
"$SEERUN" --home "$R" "$work/wf.json" >"$work/seerun.out" 2>"$work/seerun.err" &
spid=$!
exec_id=
for _ in $(seq 1 200); do
	exec_id=$("$SEECTL" list --json 2>/dev/null | python3 -c 'import json,sys
for line in sys.stdin:
    e = json.loads(line)
    if e.get("workflow_name") == "Remote approval" and e.get("status") == "waiting-for-input": print(e["id"])' 2>/dev/null)
	[ -n "$exec_id" ] && break
	sleep 0.1
done
[ -n "$exec_id" ] || { kill "$spid"; fail "seerun over ssh never asked for its input: $(cat "$work/seerun.err")"; }
run resume "$exec_id" ask --input yes
expect_rc 0 "the local answer to seerun over ssh"
wait "$spid"
[ $? -eq 0 ] || fail "seerun over ssh did not complete: $(cat "$work/seerun.err")"
run show "$exec_id"
expect_out "remote-done"

sshd_stop
finish
