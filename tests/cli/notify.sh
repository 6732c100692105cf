#!/bin/sh
# notify.sh - notification hooks: add, list, remove (audit events); the
# server runs a hook's command without a shell after the commit, with the
# event in its environment, on waiting, rejected, cancelled and timeout;
# a failing command is counted and logged, a hanging one is stopped at its
# time limit and never delays a commit; at most 4 run at once; and a
# notification whose server was killed runs when the server starts again.
. "${SEETOP_TOP_SRCDIR:?}/tests/cli/lib.sh"
SEERUN=$top_builddir/cli/seerun
export SEESTORE_HOOK_TIMEOUT_MS=1500
out=$work/hook.out
cat >"$work/hook.sh" <<'SH'
#!/bin/sh
# one line per notification, as an operator's script would append it
printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "$SEETOP_EVENT" "$SEETOP_EXECUTION" "$SEETOP_TASK" "$SEETOP_PROMPT" \
	"$SEETOP_DEADLINE" "$SEETOP_ACTOR" "$SEETOP_USER" "$SEETOP_REASON" >>"$1"
SH
chmod +x "$work/hook.sh"
# wait_lines N: until the hook file has N lines (10 s at most)
wait_lines() {
	i=0
	while [ "$(cat "$out" 2>/dev/null | wc -l)" -lt "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(cat "$out" 2>/dev/null | wc -l)" -ge "$1" ] || fail "expected $1 notifications, got: $(cat "$out" 2>/dev/null)"
}
status_field() { "$SEECTL" server status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

for i in 1 2 3; do sed "s/test-waiting/n$i/" "$DATA/test-waiting.yaml" >"$work/n$i.yaml"; done
run import "$work/n1.yaml" "$work/n2.yaml" "$work/n3.yaml"
expect_rc 0 "import"

# ---- managing hooks ----
run notify add -- "$work/hook.sh" "$out"
expect_rc 2 "add without --on"
run notify add --on waiting
expect_rc 2 "add without a command"
run notify add --on sometimes -- true
expect_rc 1 "an unknown event"
expect_err "unknown event 'sometimes'"
run notify add --on waiting,timeout,rejected,cancelled -- "$work/hook.sh" "$out"
expect_rc 0 "notify add"
expect_out "hook 1 runs on waiting,timeout,rejected,cancelled"
run notify add --on rejected -- false
expect_rc 0 "a hook that fails"
run notify list --json
expect_rc 0 "notify list"
python3 -c '
import json, sys
h = [json.loads(l) for l in open(sys.argv[1])]
assert [x["id"] for x in h] == [1, 2] and h[0]["command"][1].endswith("hook.out"), h
# a name is resolved through PATH when the hook is added
assert h[1]["command"][0].startswith("/") and h[1]["command"][0].endswith("/false") and len(h[1]["command"]) == 1, h
' "$work/out" || fail "notify list --json: $(cat "$work/out")"
"$SEECTL" history --json | grep -q '"action":"notify-add"' || fail "no notify-add audit event"
run --read-only notify add --on waiting -- true
expect_rc 1 "read-only"

# ---- the command is found when it is added, as the shell would find it ----
mkdir -p "$work/bin"
cp "$work/hook.sh" "$work/bin/rel.sh"
(cd "$work/bin" && "$SEECTL" notify add --on timeout -- ./rel.sh x >"$work/out" 2>"$work/err") || fail "add ./rel.sh: $(cat "$work/err")"
(cd "$work" && PATH="$work/bin:$PATH" "$SEECTL" notify add --on timeout -- rel.sh y >"$work/out" 2>"$work/err") ||
	fail "add rel.sh through PATH: $(cat "$work/err")"
"$SEECTL" notify list --json | python3 -c '
import json, sys
h = [json.loads(l) for l in sys.stdin]
want = [[sys.argv[1] + "/bin/rel.sh", "x"], [sys.argv[1] + "/bin/rel.sh", "y"]]
assert [x["command"] for x in h[-2:]] == want, h
' "$work" || fail "relative commands are not made absolute: $("$SEECTL" notify list)"
for id in $("$SEECTL" notify list | awk '/rel.sh/ { print $1 }'); do "$SEECTL" notify remove "$id" >/dev/null; done
(cd "$work" && "$SEECTL" notify add --on timeout -- ./notify-missing.sh >"$work/out" 2>"$work/err")
rc=$?
expect_rc 1 "a command that does not exist"
expect_err "no command './notify-missing.sh'"
expect_one_line
printf '#!/bin/sh\n' >"$work/noexec.sh"
run notify add --on timeout -- "$work/noexec.sh"
expect_rc 1 "a command that is not executable"
expect_err "'$work/noexec.sh' is not an executable file"
expect_one_line
run notify add --on timeout -- no-such-command-seetop
expect_rc 1 "a name not in PATH"
expect_err "'no-such-command-seetop' is not a command found in PATH"
[ "$("$SEECTL" notify list | wc -l)" = 2 ] || fail "a refused command was added: $("$SEECTL" notify list)"

# ---- rejected and cancelled, with the event in the environment ----
run reject n1 task1 --reason "not today"
expect_rc 0 "reject"
wait_lines 1
grep -q "^rejected|n1|task1|Approve the deployment?||$(id -un)|$(id -un)|not today$" "$out" || fail "the rejected notification: $(cat "$out")"
run cancel n2 --reason "wrong branch"
expect_rc 0 "cancel"
wait_lines 2
grep -q "^cancelled|n2||" "$out" || fail "the cancelled notification: $(cat "$out")"
# the failing hook ran on the reject: counted, and named in server.log
i=0; while [ "$(status_field hooks_failed)" -lt 1 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(status_field hooks_failed)" = 1 ] || fail "hooks_failed: $(status_field hooks_failed)"
grep -q "notification [0-9]*: hook 2 (/[^ ]*/false) exited 1$" "$SEETOP_HOME/server.log" ||
	fail "server.log does not name the failed hook and its command: $(grep exited "$SEETOP_HOME/server.log")"
# the counts are the home's: a new server still has them, and a finished
# notification changes nothing a dashboard lists (the generation stays)
ran=$(status_field hooks_run)
gen=$(status_field generation)
"$SEECTL" server stop >/dev/null
"$SEECTL" server start >/dev/null # (a status starts no server)
[ "$(status_field hooks_failed)" = 1 ] && [ "$(status_field hooks_run)" = "$ran" ] ||
	fail "the hook counts after a new server: run $(status_field hooks_run) failed $(status_field hooks_failed)"
run notify remove 2
expect_rc 0 "notify remove"
run notify remove 2
expect_rc 1 "remove a hook twice"
expect_err "no hook 2"

# ---- a timeout, run by the server's timer with no client ----
run deadline n3 task1 1s
wait_lines 3
grep -q "^timeout|n3|task1|Approve the deployment?|20[0-9-]*T[0-9:.]*Z|timer||no answer by the deadline" "$out" || fail "the timeout notification: $(tail -1 "$out")"

# ---- waiting: a workflow asks, seerun waits ----
"$SEERUN" --id wf "$DATA/workflows/approve.json" >/dev/null 2>&1 &
pid=$!
wait_lines 4
grep -q "^waiting|wf|approve|Deploy to production?|" "$out" || fail "the waiting notification: $(tail -1 "$out")"
"$SEECTL" resume wf approve --input yes >/dev/null
wait $pid

# ---- a hanging command never delays a commit, and is stopped at its limit ----
run notify remove 1
slp=$((600 + $$ % 30000)) # this test's own: other tests may run hooks at the same time
run notify add --on rejected -- sleep "$slp"
expect_rc 0 "a hook that hangs"
for i in 1 2 3 4 5 6; do sed "s/test-waiting/h$i/" "$DATA/test-waiting.yaml" >"$work/h$i.yaml"; done
"$SEECTL" import "$work"/h?.yaml >/dev/null
t0=$(($(date +%s%N) / 1000000))
for i in 1 2 3 4 5 6; do "$SEECTL" reject "h$i" task1 --reason x >/dev/null || fail "reject h$i"; done
t1=$(($(date +%s%N) / 1000000))
[ $((t1 - t0)) -lt 3000 ] || fail "six rejects took $((t1 - t0)) ms with hanging hooks"
n=$(pgrep -f -x "/[^ ]*/sleep $slp" | wc -l)
[ "$n" -le 4 ] || fail "$n hook commands ran at once (at most 4)"
[ "$n" -ge 1 ] || fail "no hook command runs"
# all six end at the time limit: 4, then 2
i=0; while [ "$(status_field hooks_pending)" != 0 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(status_field hooks_pending)" = 0 ] || fail "notifications still pending: $(status_field hooks_pending)"
grep -q "ran past 1500 ms: SIGTERM" "$SEETOP_HOME/server.log" || fail "no time limit in server.log"
pgrep -f -x "/[^ ]*/sleep $slp" >/dev/null && fail "a hook command outlived its time limit"

# ---- at least once: the server killed while a notification waits to run ----
run notify remove 3
cat >"$work/slow.sh" <<'SH'
#!/bin/sh
sleep 1
echo "$SEETOP_EXECUTION" >>"$1"
SH
chmod +x "$work/slow.sh"
"$SEECTL" notify add --on cancelled -- "$work/slow.sh" "$work/slow.out" >/dev/null
"$SEECTL" cancel h1 --reason "again?" >/dev/null 2>&1 || "$SEECTL" import "$work/h1.yaml" >/dev/null
sed "s/test-waiting/k1/" "$DATA/test-waiting.yaml" >"$work/k1.yaml"
"$SEECTL" import "$work/k1.yaml" >/dev/null
"$SEECTL" cancel k1 --reason "kill the server now" >/dev/null || fail "cancel k1"
kill -9 "$(head -1 "$SEETOP_HOME/server.lock")"
sleep 0.2
[ -s "$work/slow.out" ] && fail "the command finished before the kill: the test proves nothing"
"$SEECTL" server start >/dev/null || fail "server start"
i=0; while ! grep -q "^k1$" "$work/slow.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -q "^k1$" "$work/slow.out" 2>/dev/null || fail "the notification was lost with the server"
[ "$(grep -c "^k1$" "$work/slow.out")" = 1 ] || fail "the command of the killed server finished too: $(cat "$work/slow.out")"
# a finished notification changes nothing a dashboard lists: a cancel and a
# remove are two generations, however many commands the cancel starts
sed "s/test-waiting/k2/" "$DATA/test-waiting.yaml" >"$work/k2.yaml"
"$SEECTL" import "$work/k2.yaml" >/dev/null
"$SEECTL" notify add --on cancelled -- true >/dev/null
last=$("$SEECTL" notify add --on cancelled -- false | sed 's/^hook \([0-9]*\) .*/\1/')
i=0; while [ "$(status_field hooks_pending)" != 0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
gen=$(status_field generation)
ran=$(status_field hooks_run)
"$SEECTL" cancel k2 --reason "one change" >/dev/null || fail "cancel k2"
i=0; while [ "$(status_field hooks_run)" -lt $((ran + 3)) ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(status_field hooks_run)" = $((ran + 3)) ] || fail "three hooks on cancelled: $ran then $(status_field hooks_run)"
"$SEECTL" notify remove "$last" >/dev/null || fail "notify remove $last"
[ "$(status_field generation)" = $((gen + 2)) ] ||
	fail "a cancel and a remove moved the generation from $gen to $(status_field generation): the outbox is not quiet"
run verify
expect_rc 0 "verify"
finish
