#!/bin/bash
# repl.sh - dashboards on the three sites of a replication group: each
# header says its site's role (the master; a replica, of which master and
# how far behind), a pause made at one site shows on every dashboard within
# a second, and when the master is killed the dashboards of the other two
# carry on and name the new master; the killed site's own dashboard comes
# back with its server, a replica.
#
# The sites are tests/repl/lib.sh's (three homes, three servers, loopback
# ports); the dashboards run in tmux as tests/screen/lib.sh runs seetop (a
# fixed size and TERM, the pane captured), one window per site: that
# library's helpers drive one seetop at a time.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"
SEETOP=$top_builddir/tui/seetop
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed: the screen tests need it (apt-get install tmux)" >&2; exit 1; }
T="tmux -L seetop-repl-$$"
. "$top_srcdir/tests/remote/sshd.sh"
trap '$T kill-server 2>/dev/null; sshd_stop; stop_sites' EXIT
printf 'confirm: true\nrefresh_ms: 200\n' >"$SEETOP_CONFIG"

# a dashboard on each site, in its own 100x30 window of one tmux server
dashboard() {
	local cmd="env TERM=xterm-256color SEETOP_CONFIG=$SEETOP_CONFIG $SEETOP --home $(site_home "$1")"
	if [ "$1" = 1 ]; then
		$T -f /dev/null new-session -d -x 100 -y 30 -n site1 "$cmd; echo \"[exit \$?]\"; sleep 60"
	else
		$T new-window -d -n "site$1" "$cmd; echo \"[exit \$?]\"; sleep 60"
	fi
}
pane() { $T capture-pane -p -t "site$1"; }
header() { pane "$1" | head -1; }
# shows SITE TEXT: the site's dashboard holds TEXT
shows() { pane "$1" | grep -qF -- "$2"; }
lacks() { ! shows "$@"; }
header_has() { header "$1" | grep -qF -- "$2"; }
expect_header() { # SITE TEXT SECONDS
	wait_for "$3" header_has "$1" "$2" || fail "site $1's header lacks '$2' after $3 s:
$(pane "$1")"
}
now_ms() { date +%s%3N; }

make_group "$top_srcdir/assets/demo.yaml"
for n in 1 2 3; do dashboard $n; done
for n in 1 2 3; do
	wait_for 5 shows $n "nightly-etl-1190" || fail "site $n's dashboard did not start: $(pane $n)"
done
expect_header 1 "seetop [RW]  master  " 3
for n in 2 3; do
	expect_header $n "replica of $(site_addr 1), 0.0 s behind" 3
done
header 1 | grep -qF "replica" && fail "the master's header names a replica: $(header 1)"
# a batch frame says it too
"$SEETOP" -b --home "$(site_home 2)" >"$work/batch" 2>&1 || fail "seetop -b at site 2: $(cat "$work/batch")"
head -1 "$work/batch" | grep -qF "seetop [RO]  replica of $(site_addr 1), 0.0 s behind  running " ||
	fail "seetop -b at site 2 lacks the role: $(head -1 "$work/batch")"

# a dashboard on a site addressed as ssh:// (a real sshd on 127.0.0.1) says
# its role as a local one does: the site's server is asked, not a file here
sshd_start
mkdir -m 700 "$work/run"
$T new-window -d -n siter2 "env TERM=xterm-256color SEETOP_CONFIG=$SEETOP_CONFIG SEETOP_SSH=$SSH_WRAPPER \
XDG_RUNTIME_DIR=$work/run SEETOP_REMOTE_SEECTL='env SEESTORE_SERVER=${SEESTORE_SERVER:-} SEETOP_CONFIG=$SEETOP_CONFIG $SEECTL' \
$SEETOP --home ssh://$(id -un)@127.0.0.1:$SSHD_PORT$(site_home 2); echo \"[exit \$?]\"; sleep 60"
wait_for 10 shows r2 "nightly-etl-1190" || fail "the dashboard on site 2 over ssh did not start: $(pane r2)"
expect_header r2 "replica of $(site_addr 1), 0.0 s behind" 3
$T kill-window -t siter2
sshd_stop

# a site's server stopped (Ctrl-Z): its dashboard still answers a key that
# reads nothing at once (its role is asked with a short wait, then not for
# a while; it asked for 2 s each second, and keys waited): the help opened
# and closed twice, each seen before the next key.  (Stopped for under 3 s,
# its heartbeat monitor's time: longer, and it calls an election as it
# wakes, which may move the master elsewhere.)
kill -STOP "$(site_pid 3)"
sleep 1
t0=$(now_ms)
for _ in 1 2; do
	$T send-keys -t site3 "?"
	wait_for 5 shows 3 "seetop keys" || fail "site 3's help did not open with its server stopped: $(pane 3)"
	$T send-keys -t site3 "?"
	wait_for 5 lacks 3 "seetop keys" || fail "site 3's help did not close with its server stopped: $(pane 3)"
done
keys_ms=$(($(now_ms) - t0))
[ "$keys_ms" -lt 2500 ] || fail "4 keys on a dashboard whose server is stopped took $keys_ms ms (load $(cut -d' ' -f1 /proc/loadavg))"
echo "4 keys on a dashboard whose server is stopped: $keys_ms ms (load $(cut -d' ' -f1 /proc/loadavg))"
kill -CONT "$(site_pid 3)"

# a pause made at a replica (forwarded to the master) shows everywhere
# within a second of its command's answer
expect_not() { ! shows "$1" "$2" || fail "site $1 shows '$2' before the pause: $(pane "$1")"; }
for n in 1 2 3; do expect_not $n "= paused            nightly-etl-1190"; done
on 3 pause nightly-etl-1190 load
expect_rc 0 "pause at site 3"
done_at=$(now_ms)
for n in 1 2 3; do
	wait_for 3 shows $n "= paused            nightly-etl-1190" || fail "site $n never showed the pause: $(pane $n)"
	late=$(( $(now_ms) - done_at ))
	[ "$late" -le 1000 ] || fail "site $n showed the pause $late ms after seectl pause returned (load: $(cut -d' ' -f1 /proc/loadavg)), not within 1 s"
done
echo "the pause on all three dashboards within $late ms of its answer (load $(cut -d' ' -f1 /proc/loadavg))"

# the master killed: the dashboards of the other two go on, say when no
# master is known, and name the new master.  (The killed site's own dashboard is closed first: it would
# start its server again at once, and the site might win the election.)
$T send-keys -t site1 q
wait_for 5 shows 1 "[exit 0]" || fail "site 1's dashboard did not quit: $(pane 1)"
# site 3 held stopped meanwhile, site 2 alone cannot win an election: its
# dashboard says so (bold), and its reads go on while changes are refused
kill -STOP "$(site_pid 3)"
kill -9 "$(site_pid 1)"
expect_header 2 "seetop [RW]  no master (election in progress)  " 10
has_sgr() { $T capture-pane -p -e -t "site$1" | head -1 | grep -qE $'\e\\[[0-9;]*1[;m][^\e]*no master'; }
has_sgr 2 || fail "site 2's 'no master' is not bold: $($T capture-pane -p -e -t site2 | head -1 | cat -v)"
on 2 show nightly-etl-1190
expect_rc 0 "a read at site 2 while no master is known"
on 2 resume nightly-etl-1190
expect_rc 3 "a change at site 2 while no master is known"
expect_err "no master (election in progress)"
kill -CONT "$(site_pid 3)"
let_go=$(now_ms)
elected() { [ "$(role_of 2)" = master ] || [ "$(role_of 3)" = master ]; }
wait_for 30 elected || fail "no new master within 30 s"
[ "$(role_of 2)" = master ] && new=2 other=3 || new=3 other=2
expect_header $new "seetop [RW]  master  " 5
expect_header $other "replica of $(site_addr $new), " 5
echo "from site 3 let go to both headers naming the new master: $(( $(now_ms) - let_go )) ms (load $(cut -d' ' -f1 /proc/loadavg))"
header $other | grep -qE "replica of $(site_addr $new), [0-9]+\.[0-9] s behind" ||
	fail "site $other's header gives no lag: $(header $other)"

# they carry on: a change at the new master shows on both within a second
on $new resume nightly-etl-1190
expect_rc 0 "resume at the new master (site $new)"
done_at=$(now_ms)
for n in $new $other; do
	wait_for 3 lacks $n "= paused            nightly-etl-1190" ||
		fail "site $n still shows the pause after the resume: $(pane $n)"
	late=$(( $(now_ms) - done_at ))
	[ "$late" -le 1000 ] || fail "site $n showed the resume $late ms after it returned (load: $(cut -d' ' -f1 /proc/loadavg)), not within 1 s"
done

# the old master comes back (its dashboard starts its server again) as a
# replica of the new one, and says so
$T kill-window -t site1
$T new-window -d -n site1 "env TERM=xterm-256color SEETOP_CONFIG=$SEETOP_CONFIG $SEETOP --home $(site_home 1)"
expect_header 1 "replica of $(site_addr $new), " 30

# 80 columns: the role stays in the header, and so do what waits and the
# clock (the master's address gives way, after the counts of the others)
$T resize-window -t site$other -x 80 -y 24
wait_for 3 header_has $other "seetop [RW]  replica, " || fail "at 80 columns site $other's header lost its role: $(header $other)"
header $other | grep -qE "replica, [0-9]+\.[0-9] s behind  waiting [0-9]+.*  [0-9]{2}:[0-9]{2}:[0-9]{2}Z  row " ||
	fail "at 80 columns site $other's header lost what waits, the clock or the position: $(header $other)"
$T resize-window -t site$new -x 80 -y 24
wait_for 3 header_has $new "seetop [RW]  master  " || fail "at 80 columns site $new's header lost its role: $(header $new)"
header $new | grep -qE "  waiting [0-9]+.*  [0-9]{2}:[0-9]{2}:[0-9]{2}Z  row " ||
	fail "at 80 columns site $new's header lost what waits, the clock or the position: $(header $new)"
finish
