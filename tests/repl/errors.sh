#!/bin/sh
# errors.sh - what seectl repl refuses, each in one line with its exit
# code: a second init of a site, a join through a helper that is down, a
# port in use, a listen address that is not loopback, a joining home that
# holds a store of its own, repl status of a home that is no site, a
# repl.conf that is a symbolic link (planted by someone who may write to the
# home: neither written through nor read).
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

on 1 import "$DATA/test-waiting.yaml" --create
on 1 repl status
expect_rc 1 "repl status of a home that is no site"
expect_err "is not a site of a replication group"
expect_one_line

on 1 repl init --listen "$(site_addr 1)"
expect_rc 0 "repl init"
expect_out "the master of a new replication group, listening on $(site_addr 1)"

# a second init of the same site
on 1 repl init --listen "$(site_addr 2)"
expect_rc 1 "a second repl init"
expect_err "is a site of a replication group already"
expect_one_line
on 1 repl status --json
[ "$(json "['role']")" = master ] || fail "site 1 is no longer master after a refused init"

# a join through a helper nobody listens on
on 2 repl join --listen "$(site_addr 2)" --helper "127.0.0.1:$PORT_SPARE"
expect_rc 3 "a join through a helper that is down"
expect_err "the helper 127.0.0.1:$PORT_SPARE does not answer"
expect_one_line
[ ! -e "$(site_home 2)/repl.conf" ] || fail "a refused join left its settings in the home"

# a port in use (site 1's)
on 2 repl join --listen "$(site_addr 1)" --helper "$(site_addr 1)"
expect_rc 1 "a join on a port in use"
expect_err "is in use"
expect_one_line

# not loopback, unless asked for
on 3 repl init --listen "0.0.0.0:$PORT_SPARE"
expect_rc 1 "a listen address that is not loopback"
expect_err "is not a loopback address"
expect_err "--any-address"
expect_one_line
[ ! -e "$(site_home 3)/repl.conf" ] || fail "a refused init left its settings in the home"

# a joining home with a store of its own
on 3 import "$DATA/test-waiting.yaml" --create
on 3 repl join --listen "$(site_addr 3)" --helper "$(site_addr 1)"
expect_rc 1 "a join of a home that holds a store"
expect_err "holds a store already"
expect_one_line

# usage
on 2 repl join --listen "$(site_addr 2)"
expect_rc 2 "a join without a helper"
expect_err "--helper HOST:PORT"
on 2 repl init --listen nonsense
expect_rc 1 "a listen address without a port"
expect_err "is not HOST:PORT"
expect_one_line

# the first site joined by a second one works after all that
on 2 repl join --listen "$(site_addr 2)" --helper "$(site_addr 1)"
expect_rc 0 "a join after the refusals"
expect_out "a replica of $(site_addr 1)"

# leave: never the master; a replica leaves, and its home is its own again
on 1 repl leave
expect_rc 1 "repl leave at the master"
expect_err "a master cannot leave"
expect_one_line
on 2 repl leave
expect_rc 0 "repl leave at the replica"
on 2 repl status
expect_rc 1 "repl status of a site that left"
on 2 show test-waiting
expect_rc 0 "the home that left reads its copy"
on 2 pause test-waiting task1
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "the home that left cannot be changed: $(cat "$work/err")"
on 1 repl status --json
[ "$(json "['group_sites']")" = 1 ] || fail "the master still counts $(json "['group_sites']") sites after a leave"

# a repl.conf that is a symbolic link: init does not write through it, and
# the server does not read it (here it names a valid file elsewhere, which
# would make the home a site listening where the planter chose)
planted=$work/planted
run --home "$planted" import "$DATA/test-waiting.yaml" --create
expect_rc 0 "import into the planted home"
run --home "$planted" server stop
printf 'listen 127.0.0.1:%s\ncreate 1\n' "$PORT_SPARE" >"$work/elsewhere.conf"
ln -s "$work/elsewhere.conf" "$planted/repl.conf"
run --home "$planted" repl init --listen "127.0.0.1:$PORT_SPARE"
expect_rc 1 "repl init over a planted symbolic link"
expect_err "repl.conf is a symbolic link: refused"
expect_one_line
[ "$(cat "$work/elsewhere.conf")" = "$(printf 'listen 127.0.0.1:%s\ncreate 1' "$PORT_SPARE")" ] ||
	fail "repl init wrote through the symbolic link"
run --home "$planted" list
expect_rc 3 "a server whose repl.conf is a symbolic link"
expect_err "repl.conf is a symbolic link: refused"
expect_one_line
python3 - "$PORT_SPARE" <<'PY' || fail "the server listens where the planted settings said"
import socket, sys
s = socket.socket()
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    sys.exit(1)
except OSError:
    sys.exit(0)
PY
rm "$planted/repl.conf"
run --home "$planted" list
expect_rc 0 "the home without the link opens as a home of its own"
run --home "$planted" server stop
finish
