#!/usr/bin/env bash
# seetop on a home addressed as ssh://USER@HOST:PORT/PATH, through a real
# sshd on 127.0.0.1: a local change shows within a second (the push comes
# over the same ssh session), r with a value and y answer, q quits; when
# sshd and its sessions are killed the screen stays and carries on once a
# new sshd is up; one run of seetop authenticates once.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/remote/sshd.sh"
printf 'confirm: true\nrefresh_ms: 60000\n' >"$SEETOP_CONFIG"
sshd_start
mkdir -m 700 "$work/run"
remote_seectl="env SEESTORE_SERVER=${SEESTORE_SERVER:-} SEETOP_CONFIG=$SEETOP_CONFIG $SEECTL"
START_ENV="SEETOP_SSH=$SSH_WRAPPER XDG_RUNTIME_DIR=$work/run SEETOP_REMOTE_SEECTL='$remote_seectl'"
R="ssh://$(id -un)@127.0.0.1:$SSHD_PORT$SEETOP_HOME"
load_demo
start --home "$R"
expect_screen "nightly-etl-1190" 10
expect_screen "127.0.0.1:/"
# a home that is no site of a group: its server is asked so once, not each
# second (an idle dashboard makes no request; a status's own are counted
# first, by two in a row)
served() { "$SEECTL" server status | awk '$1 == "requests" { print $2 }'; }
sleep 1 # what its start reads, read
r0=$(served)
r1=$(served)
sleep 3
r2=$(served)
extra=$((r2 - r1 - (r1 - r0)))
[ "$extra" -le 0 ] || fail "an idle dashboard over ssh made $extra requests in 3 s"
keys n n
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause"
expect_screen "= paused            nightly-etl-1190" 1
grep "Accepted publickey\|Starting session\|mux" "$sshdir/sshd.log" >&2
[ "$(grep -c 'Accepted publickey' "$sshdir/sshd.log")" -eq 1 ] ||
	fail "one seetop authenticated $(grep -c 'Accepted publickey' "$sshdir/sshd.log") times"

# answer over ssh
keys / nightly Enter
keys Tab
expect_screen "= paused            load"
keys r
keys y
expect_screen "resumed task load of nightly-etl-1190" 5
[ "$(json nightly-etl-1190 "['execution']['status']")" = running ] || fail "the resume over ssh is not in the home"

# sshd and every session it serves killed: the screen stays, then carries on
sshd_stop
sleep 1
expect_screen "nightly-etl-1190"
expect_screen "reconnecting to 127.0.0.1"
sshd_start
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause after sshd came back"
expect_screen "= paused            nightly-etl-1190" 15
keys q
expect_screen "[exit 0]" 2

# its ssh stopped (Ctrl-Z of the ssh processes): q still quits at once
start --home "$R"
expect_screen "nightly-etl-1190" 10
pkill -STOP -f "ssh -F $sshdir/ssh_config"
pkill -STOP -f "ssh: $work/run"
t0=$(date +%s%N)
keys q
expect_screen "[exit 0]" 2
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 1000 ] || fail "q took $(((t1 - t0) / 1000000)) ms with its ssh stopped"
pkill -CONT -f "ssh -F $sshdir/ssh_config"
pkill -CONT -f "ssh: $work/run"
sshd_stop
finish
