#!/bin/sh
# join.sh - a site joins a group (two sites) that already holds 100,000
# executions (SEETOP_JOIN_EXECUTIONS): its copy comes from the group
# (internal initialisation), it is in step with the master, and a read-only
# dashboard (the real seetop in tmux) on it shows the group's counts and,
# within a few seconds, a change made at the master; a change from that
# dashboard is refused.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"
SEETOP=$SEETOP_TOP_BUILDDIR/tui/seetop
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed: this test needs it (apt-get install tmux)" >&2; exit 1; }
N=${SEETOP_JOIN_EXECUTIONS:-100000}
sock="seetop-join-$$"
T="tmux -L $sock"
trap '$T kill-server 2>/dev/null; stop_sites' EXIT
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---- a group of two holding N executions ----
t0=$(ms)
on 1 gen --executions "$N"
expect_rc 0 "gen of $N executions at site 1"
t1=$(ms)
on 1 repl init --listen "$(site_addr 1)"
expect_rc 0 "repl init"
on 2 repl join --listen "$(site_addr 2)" --helper "$(site_addr 1)"
expect_rc 0 "repl join of site 2"
t2=$(ms)

# ---- site 3 joins: a new home, its copy from the group ----
[ ! -e "$(site_home 3)" ] || fail "site 3's home exists before it joins"
on 3 repl join --listen "$(site_addr 3)" --helper "$(site_addr 1)"
expect_rc 0 "repl join of site 3"
expect_out "a replica of $(site_addr 1)"
t3=$(ms)
in_step() {
	on 3 repl status --json
	[ "$rc" -eq 0 ] && [ "$(json "['role']")" = replica ] && [ "$(json "['lag_bytes']")" = 0 ] &&
		[ "$(json "['group_sites']")" = 3 ]
}
wait_for 30 in_step || fail "site 3 is not a replica in step with the master of 3 sites within 30 s: $(cat "$work/out" "$work/err")"
t4=$(ms)
echo "join: gen of $N executions $((t1 - t0)) ms, a group of two $((t2 - t1)) ms, site 3 joined in $((t3 - t2)) ms and was in step $((t4 - t3)) ms later"

# what the master counts, by status (seectl metrics)
on 1 metrics
expect_rc 0 "metrics at the master"
count() { awk -v s="$1" -F'[ ]' '$1 == "seetop_executions{status=\"" s "\"}" { print $2 }' "$work/out"; }
running=$(count running) waiting=$(count waiting-for-input) complete=$(count complete) failed=$(count failed)
[ $((running + waiting + complete + failed)) -eq "$N" ] ||
	fail "the master counts $running+$waiting+$complete+$failed executions, not $N"
on 3 --read-only list --status running --limit 1 --json
expect_rc 0 "a read-only list at site 3"
newest=$(json "['id']")
[ -n "$newest" ] || fail "site 3 lists no running execution"

# ---- a read-only dashboard on the joined site ----
$T -f /dev/null new-session -d -x 160 -y 30 \
	"env TERM=xterm-256color SEETOP_CONFIG=$work/none.yaml $SEETOP --home $(site_home 3) --read-only; echo \"[exit \$?]\"; sleep 30"
screen() { $T capture-pane -p; }
shows() { screen | grep -qF -- "$1"; }
wait_screen() { wait_for "$2" shows "$1" || fail "site 3's dashboard lacks '$1' after $2 s:
$(screen)"; }
wait_screen "running $running  waiting $waiting  complete $complete  failed $failed" 10
wait_screen "seetop [RO]  replica of $(site_addr 1)" 5
wait_screen "$newest" 5

# a change at the master reaches the dashboard (a push from site 3's server)
on 1 cancel "$newest" --reason "joined site check"
expect_rc 0 "cancel at the master"
wait_screen "running $((running - 1))  waiting $waiting  complete $complete  failed $((failed + 1))" 5
# the dashboard is read-only: its cancel key is refused
$T send-keys X
wait_screen "read-only mode: cancel is not available" 3

on 3 verify
expect_rc 0 "verify at the joined site"
on 3 history "$newest" --limit 1
expect_out "joined site check"
finish
