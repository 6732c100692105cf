#!/usr/bin/env bash
# systemd.sh - a home's server from boot: the template units (system and
# user) run the installed seestore-server --foreground on the unescaped
# instance, and pass systemd-analyze verify; seectl server enable/disable
# print the commands with the home's path escaped as systemd-escape does;
# seestore-server --foreground serves, stays while idle, logs to stderr and
# stops on SIGTERM; started as root for another user's home it runs as that
# user.
. "$(dirname "$0")/lib.sh"

SERVER=${SEESTORE_SERVER:?run through make check}

# ---- the units ----
for kind in system user; do
	unit=$top_builddir/assets/systemd/$kind/seestore-server@.service
	[ -f "$unit" ] || { fail "the $kind unit was not built: $unit"; continue; }
	grep -qE '^ExecStart=/.*/libexec/seetop/seestore-server --foreground %f$' "$unit" ||
		fail "the $kind unit's ExecStart: $(grep ^ExecStart "$unit")"
	grep -q '^\[Install\]' "$unit" || fail "the $kind unit has no [Install]"
	if command -v systemd-analyze >/dev/null; then
		# as it will run: the built program in place of the installed one
		mkdir -p "$work/units-$kind"
		sed "s|^ExecStart=[^ ]*|ExecStart=$SERVER|" "$unit" >"$work/units-$kind/seestore-server@.service"
		cp "$work/units-$kind/seestore-server@.service" "$work/units-$kind/seestore-server@srv-seetop.service"
		flag=; [ "$kind" = user ] && flag=--user
		mkdir -p -m 700 "$work/run" # a user manager's runtime directory
		XDG_RUNTIME_DIR=$work/run SYSTEMD_LOG_LEVEL=warning systemd-analyze $flag verify --man=no \
			"$work/units-$kind/seestore-server@srv-seetop.service" >"$work/verify.out" 2>&1 ||
			fail "systemd-analyze verify of the $kind unit: $(cat "$work/verify.out")"
	else
		echo "systemd-analyze is not installed (Debian package systemd): the units' syntax is not verified"
	fi
done

# ---- seectl server enable / disable ----
home="$work/my-home x"
"$SEECTL" --home "$home" --create list >/dev/null || fail "a home with a dash and a space"
if command -v systemd-escape >/dev/null; then
	inst=$(systemd-escape --path "$home")
else
	inst=$(python3 -c '
import sys
p = sys.argv[1].strip("/")
out = []
for i, ch in enumerate(p):
    if ch == "/": out.append("-")
    elif ch.isascii() and (ch.isalnum() or ch in ":_" or (ch == "." and i > 0)): out.append(ch)
    else: out.extend("\\x%02x" % b for b in ch.encode())
print("".join(out))' "$home")
fi
run --home "$home" server enable
expect_rc 0 "server enable"
expect_out "systemctl --user enable --now seestore-server@$inst.service"
expect_out "loginctl enable-linger"
run --home "$home" server enable --system
expect_rc 0 "server enable --system"
expect_out "systemctl enable --now seestore-server@$inst.service"
run --home "$home" server disable
expect_rc 0 "server disable"
expect_out "systemctl --user disable --now seestore-server@$inst.service"
"$SEECTL" --home "$home" server stop >/dev/null

# ---- seestore-server --foreground: serves, stays, logs to stderr, stops on SIGTERM ----
SEESTORE_SERVER_IDLE_S=1 "$SERVER" --foreground "$home" 2>"$work/fg.err" &
fg=$!
for _ in $(seq 1 100); do [ -S "$home/server.sock" ] && break; sleep 0.05; done
run --home "$home" list
expect_rc 0 "a command served by the foreground server"
[ "$(head -1 "$home/server.lock")" = "$fg" ] || fail "the foreground server forked: server.lock names $(head -1 "$home/server.lock"), not $fg"
sleep 2.5
kill -0 "$fg" 2>/dev/null || fail "the foreground server left when idle (systemd keeps it from boot)"
grep -q "listening" "$work/fg.err" || fail "the foreground server logs nothing to stderr: $(cat "$work/fg.err")"
kill -TERM "$fg"
for _ in $(seq 1 100); do kill -0 "$fg" 2>/dev/null || break; sleep 0.05; done
kill -0 "$fg" 2>/dev/null && fail "the foreground server outlived SIGTERM by 5 s"
wait "$fg"
[ $? -eq 0 ] || fail "the foreground server exited non-zero on SIGTERM"
grep -q "server exits (terminated)" "$work/fg.err" || fail "the foreground server did not say it was terminated"
[ -e "$home/server.sock" ] && fail "the foreground server left its socket"

# ---- the system unit runs it as root: it becomes the home's owner ----
if [ "$(id -u)" != 0 ]; then
	fail "the system unit's server as root: this part needs root"
else
	chmod 755 "$work"
	chown -R 65534:65534 "$home"
	"$SERVER" --foreground "$home" 2>"$work/fg2.err" &
	fg=$!
	for _ in $(seq 1 100); do [ -S "$home/server.sock" ] && break; sleep 0.05; done
	[ "$(ps -o uid= -p "$fg" | tr -d ' ')" = 65534 ] || fail "the server started by root runs as uid $(ps -o uid= -p "$fg")"
	kill -TERM "$fg"
	wait "$fg"
fi

finish
