#!/bin/bash
# leases.sh - what a third site shows of engines attached elsewhere: an
# engine attached at the master and one attached at replica 2 each drive an
# execution that the operator answered at site 3 while the engine is
# stopped (SIGSTOP: attached, not yet moving): at replica 3, seectl show,
# seectl list --json, seetop -b and a read-only dashboard show neither as
# "? no engine" (the replica learns the master's whole attached set).  While
# the master hangs (SIGSTOP), site 3 answers at once, keeps the set for
# 10 s, then shows its own engines only (both marked), and learns the set
# again once the master is back.  A set over the 64 KiB a master sends
# (600 long ids) makes site 3 count every execution as attached.  When an engine is killed (kill -9), site
# 3 shows its execution stranded within about 2 s: the one-shot commands,
# and the dashboard through a push.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"
SEERUN=$top_builddir/cli/seerun
SEETOP=$top_builddir/tui/seetop
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed: this test needs it (apt-get install tmux)" >&2; exit 1; }
T="tmux -L seetop-leases-$$"
engines=""
cleanup() {
	$T kill-server 2>/dev/null
	for p in $engines; do
		for k in $(pgrep -P "$p" 2>/dev/null); do kill -9 "$k" 2>/dev/null; done
		kill -9 "$p" 2>/dev/null
	done
	stop_sites
}
trap cleanup EXIT
printf 'confirm: true\nrefresh_ms: 200\n' >"$SEETOP_CONFIG"
now_ms() { date +%s%3N; }

# stranded SITE EXEC: seectl show at that site says "? no engine"
stranded() { "$SEECTL" --home "$(site_home "$1")" show "$2" 2>/dev/null | grep -q '^? *no engine'; }
# listed_attached SITE EXEC: True or False, as list --json at that site says
listed_attached() {
	"$SEECTL" --home "$(site_home "$1")" list --json >"$work/list.json" 2>/dev/null || { echo "?"; return; }
	python3 - "$work/list.json" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["id"] == sys.argv[2]:
        print((e.get("engine") or {}).get("attached"))
        break
else:
    print("missing")
PY
}

# heartbeats of 8 s: the master stopped below is not taken for dead (and
# another elected) for 24 s
on 1 import "$DATA/test-waiting.yaml" --create
expect_rc 0 "import at site 1"
on 1 repl init --listen "$(site_addr 1)" --heartbeat 8000
expect_rc 0 "repl init"
for n in 2 3; do
	on $n repl join --listen "$(site_addr $n)" --helper "$(site_addr 1)" --heartbeat 8000
	expect_rc 0 "repl join of site $n"
done

# a question, then a command
cat >"$work/hold.json" <<'EOF'
{"id": "hold", "name": "Hold",
 "tasks": [{"id": "q", "name": "Q", "function": {"name": "user_input",
            "input": {"prompt": "Go?", "input_type": "boolean", "required": true}},
            "next_tasks": [{"id": "work", "name": "Work",
                            "function": {"name": "cli_command", "input": {"command": "sleep", "args": ["120"]}}}]}]}
EOF
"$SEERUN" --home "$(site_home 1)" --id at-master "$work/hold.json" >/dev/null 2>"$work/e1.err" &
eng1=$!
"$SEERUN" --home "$(site_home 2)" --id at-two "$work/hold.json" >/dev/null 2>"$work/e2.err" &
eng2=$!
engines="$eng1 $eng2"
# the engines wait at the question, stopped: the answer at site 3 leaves
# each execution running after a decision, its engine attached
for x in at-master at-two; do
	wait_for 20 is_status 3 waiting-for-input $x q || fail "$x never waited at site 3: $(cat "$work/e1.err" "$work/e2.err")"
done
kill -STOP $eng1 $eng2
for x in at-master at-two; do
	on 3 resume $x q --input true
	expect_rc 0 "the answer to $x at site 3"
	wait_for 10 is_status 3 running $x || fail "$x is $(status 3 $x) at site 3 after the answer"
done

# a read-only dashboard at site 3
$T -f /dev/null new-session -d -x 100 -y 30 -n site3 \
	"env TERM=xterm-256color SEETOP_CONFIG=$SEETOP_CONFIG $SEETOP -r --home $(site_home 3); echo \"[exit \$?]\"; sleep 60"
pane() { $T capture-pane -p -t site3; }
row() { pane | grep -F -- "$1"; }
row_has() { row "$1" | grep -qF -- "$2"; }
wait_for 10 row_has at-two Hold || fail "site 3's dashboard did not start: $(pane)"

# ---- site 3 knows both engines attached ----
for x in at-master at-two; do
	# the master itself and the engine's own site say so
	[ "$(listed_attached 1 $x)" = True ] || fail "the master lists $x's engine as attached: $(listed_attached 1 $x)"
	[ "$(listed_attached 3 $x)" = True ] ||
		fail "seectl list --json at site 3 says $x's engine (attached at another site) is attached: $(listed_attached 3 $x)"
	stranded 3 $x && fail "seectl show at site 3 marks $x '? no engine', but its engine is attached elsewhere:
$("$SEECTL" --home "$(site_home 3)" show $x)"
	# a dashboard shows it running, without the mark (after a second of pushes)
	sleep 1
	row_has $x "no engine" && fail "site 3's dashboard marks $x 'no engine': $(row $x)"
	row_has $x "? running" && fail "site 3's dashboard marks $x '?': $(row $x)"
	"$SEETOP" -b --home "$(site_home 3)" >"$work/batch" 2>&1 || fail "seetop -b at site 3: $(cat "$work/batch")"
	grep -F -- "$x" "$work/batch" | grep -qF "no engine" && fail "seetop -b at site 3 marks $x: $(grep -F -- "$x" "$work/batch")"
done

# ---- the master hangs: site 3 answers, keeps the set 10 s, then shows its own ----
kill -STOP "$(site_pid 1)"
stopped=$(now_ms)
t0=$(now_ms)
on 3 list --json
took=$(( $(now_ms) - t0 ))
expect_rc 0 "list at site 3 while the master hangs"
[ "$took" -le 4000 ] || fail "list at site 3 took $took ms while the master hangs (load: $(cut -d' ' -f1 /proc/loadavg))"
sleep 2
for x in at-master at-two; do
	stranded 3 $x && fail "site 3 forgot $x's engine $(( $(now_ms) - stopped )) ms after the master stopped, not after 10 s"
done
wait_for 20 stranded 3 at-two || fail "site 3 still shows at-two's engine attached 20 s after the master stopped"
dropped=$(( $(now_ms) - stopped ))
[ "$dropped" -ge 7000 ] || fail "site 3 forgot the master's set $dropped ms after the master stopped, not after 10 s"
stranded 3 at-master || fail "site 3 forgot at-two's engine but not at-master's"
wait_for 5 row_has at-two "no engine" || fail "site 3's dashboard does not mark at-two once the set is forgotten: $(row at-two)"
echo "site 3 showed its own engines only $dropped ms after the master stopped"
kill -CONT "$(site_pid 1)"
known() { ! stranded 3 at-master && ! stranded 3 at-two && ! row_has at-two "no engine" && ! row_has at-master "no engine"; }
wait_for 10 known || fail "site 3 did not learn the master's set again 10 s after the master came back: $(row at-master) / $(row at-two)"

# ---- an engine killed: stranded at site 3 within about 2 s ----
kill_engine() {
	for k in $(pgrep -P "$1"); do kill -9 "$k" 2>/dev/null; done
	kill -9 "$1"
	wait "$1" 2>/dev/null
}
for pair in "at-master $eng1" "at-two $eng2"; do
	set -- $pair
	x=$1
	kill_engine "$2"
	killed=$(now_ms)
	wait_for 5 stranded 3 $x || fail "seectl show at site 3 does not mark $x '? no engine' 5 s after its engine was killed"
	wait_for 5 row_has $x "no engine" || fail "site 3's dashboard does not mark $x: $(row $x)"
	late=$(( $(now_ms) - killed ))
	[ "$late" -le 3000 ] || fail "site 3 marked $x stranded $late ms after its engine was killed (load: $(cut -d' ' -f1 /proc/loadavg)), not within about 2 s"
	[ "$(listed_attached 3 $x)" = False ] || fail "seectl list --json at site 3 still says $x's engine is attached"
	echo "site 3 marked $x stranded $late ms after its engine was killed (load $(cut -d' ' -f1 /proc/loadavg))"
done

# ---- a set too large to send: every execution counts as attached ----
# 600 executions with ids of 120 bytes, attached at the master to one
# engine: over the 64 KiB a master sends; site 3 then marks no execution
# (not even at-master, which no engine drives) rather than mark one wrongly,
# while the master, which knows, still marks it (seectl show: the rows
# of 600 newer executions push at-master off the dashboard's screen)
stranded 3 at-master || fail "site 3 does not mark at-master before the large set"
"$top_builddir/tests/tools/attach_many" "$(site_home 1)" many 600 >"$work/many.out" 2>"$work/many.err" &
many=$!
engines="$engines $many"
ready() { grep -q ready "$work/many.out"; }
wait_for 120 ready || fail "attach_many did not start its executions: $(cat "$work/many.err")"
unknown() { ! stranded 3 at-master; }
wait_for 5 unknown || fail "site 3 marks at-master though the master's set is too large to know"
stranded 1 at-master || fail "the master no longer marks at-master"
kill -9 "$many"
wait "$many" 2>/dev/null
wait_for 5 stranded 3 at-master || fail "site 3 does not mark at-master again once the large set is gone"
finish
