#!/usr/bin/env bash
# Another process's change shows within the refresh interval, keeping the
# selection; quit and start again keeps the state; two seetops share a home.
. "$(dirname "$0")/lib.sh"
load_demo
start
expect_screen "nightly-etl-1190"
keys n n
"$SEECTL" pause nightly-etl-1190 load >/dev/null || fail "seectl pause"
expect_screen "! waiting-for-input nightly-etl-1190" 2
expect_screen "running 2  waiting 6" 2
keys q
expect_screen "[exit 0]"

# restart: still paused, and it can be resumed now
start
expect_screen "! waiting-for-input nightly-etl-1190"
keys / nightly Enter
keys Tab
expect_screen "waiting-for-input load"
keys r
keys y
expect_screen "resumed task load of nightly-etl-1190"
[ "$(json nightly-etl-1190 "['execution']['status']")" = running ] || fail "resume after a restart"

# someone else acts first while the dashboard asks to confirm: the refusal
# comes in the store's words
"$SEECTL" pause nightly-etl-1190 load >/dev/null
expect_screen "waiting-for-input load" 2
keys r
expect_screen "Resume task load of nightly-etl-1190? [y/N]"
"$SEECTL" resume nightly-etl-1190 load >/dev/null
keys y
expect_screen "task 'load' is not waiting for input (status: in-progress)"
keys q
finish
