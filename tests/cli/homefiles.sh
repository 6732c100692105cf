#!/usr/bin/env bash
# homefiles.sh - the server's files in a home are safe: it reaches them
# through the home's directory and never follows a link there (a link in
# place of server.lock, server.log or cache_mb is replaced, and the file
# behind it is untouched); a home that others can write is refused with one
# line that says how to fix it, and that server leaves by itself.
. "$(dirname "$0")/lib.sh"

run import "$DATA/test-waiting.yaml"
expect_rc 0 "import"
run server stop
expect_rc 0 "server stop"

# ---- a link in place of each file the server writes ----
for f in server.lock server.log cache_mb; do
	printf 'precious %s\n' "$f" >"$work/victim.$f"
	cp "$work/victim.$f" "$work/expected.$f"
	rm -f "$SEETOP_HOME/$f"
	ln -s "$work/victim.$f" "$SEETOP_HOME/$f"
	SEESTORE_CACHE_MB=32 "$SEECTL" list >"$work/out" 2>"$work/err"
	rc=$?
	expect_rc 0 "a command with a link in place of $f"
	cmp -s "$work/victim.$f" "$work/expected.$f" || fail "the file behind the link $f was changed: $(head -c 200 "$work/victim.$f")"
	[ -L "$SEETOP_HOME/$f" ] && fail "$f is still a link"
	[ -f "$SEETOP_HOME/$f" ] || fail "the server made no $f of its own"
	run server stop
done
grep -qx 32 "$SEETOP_HOME/cache_mb" || fail "cache_mb does not hold the cache size: $(cat "$SEETOP_HOME/cache_mb")"

# ---- the socket: made 0660, never chmod'ed through a link ----
run list
sock=$(stat -c '%a %F' "$SEETOP_HOME/server.sock")
[ "$sock" = "660 socket" ] || fail "the socket is '$sock', not a 0660 socket"
run server stop

# ---- a home that its group or anyone can write is refused ----
for mode in 770 707 1777; do
	chmod "$mode" "$SEETOP_HOME"
	run list
	expect_rc 3 "a home of mode $mode"
	expect_err "chmod go-w '$SEETOP_HOME'"
	expect_one_line
	pid=$(head -1 "$SEETOP_HOME/server.lock" 2>/dev/null)
	for _ in $(seq 1 60); do [ -n "$pid" ] && [ -e "/proc/$pid" ] || break; sleep 0.1; done
	[ -n "$pid" ] && [ -e "/proc/$pid" ] && fail "the server that refused a home of mode $mode still runs after 6 s"
done
chmod 750 "$SEETOP_HOME"
run list
expect_rc 0 "the home once it is the owner's alone (750)"
expect_out "test-waiting"
run server stop

finish
