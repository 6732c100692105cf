#!/usr/bin/env bash
# backup.sh - backups are atomic and private: written into a new private
# directory beside the target and renamed into place when complete, so a
# killed backup leaves no target directory; a target that is another user's,
# or that others can write, is refused.  Backups are inert: verifying one
# runs no hook and fires no deadline, changes are refused, and its server
# leaves when idle with deadlines pending; seectl restore makes a live home
# of it, which fires each missed deadline once.
. "$(dirname "$0")/lib.sh"

server_pid() { head -1 "$1/server.lock" 2>/dev/null; }

# ---- a backup killed halfway leaves no target directory ----
big=$work/big
"$SEECTL" --home "$big" --create gen --executions 100000 >/dev/null 2>"$work/err" || fail "gen: $(cat "$work/err")"
killed=0
for attempt in 1 2 3; do
	rm -rf "$work/bk" "$work"/.bk.partial-*
	"$SEECTL" --home "$big" backup "$work/bk" >/dev/null 2>&1 &
	client=$!
	spid=$(server_pid "$big")
	# halfway: once the copy has begun (the old way made the target itself)
	for _ in $(seq 1 20000); do
		compgen -G "$work/.bk.partial-*/executions.db" >/dev/null && break
		[ -e "$work/bk/executions.db" ] && break
		kill -0 "$client" 2>/dev/null || break
	done
	if ! kill -0 "$client" 2>/dev/null; then
		wait "$client"
		continue # done before it was seen: a bigger home would be needed; try again
	fi
	kill -9 "$client"
	kill -9 "$spid"
	wait "$client" 2>/dev/null
	killed=1
	break
done
[ "$killed" = 1 ] || fail "the backup finished each time before it could be killed halfway"
for _ in $(seq 1 50); do [ -e "/proc/$spid" ] || break; sleep 0.1; done
[ -e "$work/bk" ] && fail "a killed backup left a target directory: $(ls "$work/bk" | head -5 | tr '\n' ' ')"
ls -d "$work"/.bk.partial-* >/dev/null 2>&1 || [ "$killed" = 0 ] ||
	echo "(the killed copy was removed before the kill)"
# the next backup to the same target is whole
run --home "$big" backup "$work/bk"
expect_rc 0 "a backup after a killed one"
[ -f "$work/bk/executions.db" ] && [ -f "$work/bk/BACKUP" ] || fail "the backup lacks its files: $(ls "$work/bk")"
[ "$(stat -c %a "$work/bk")" = 700 ] || fail "the backup directory is $(stat -c %a "$work/bk"), not 700"
"$SEECTL" --home "$big" server stop >/dev/null

# ---- targets that are not the user's own, or that others can write ----
run import "$DATA/test-waiting.yaml"
expect_rc 0 "import"
if [ "$(id -u)" != 0 ]; then
	fail "a target of another user: this part needs root to make a directory another user owns"
else
	mkdir "$work/theirs"
	chown 65534:65534 "$work/theirs"
	run backup "$work/theirs"
	expect_rc 1 "a target another user owns"
	expect_err "belongs to uid 65534"
	expect_one_line
	[ -z "$(ls -A "$work/theirs")" ] || fail "a refused target was written: $(ls -A "$work/theirs")"
fi
mkdir "$work/open"
chmod 777 "$work/open"
run backup "$work/open"
expect_rc 1 "a target that others can write"
expect_err "can be written by others"
expect_one_line
[ -z "$(ls -A "$work/open")" ] || fail "a refused target was written: $(ls -A "$work/open")"
mkdir "$work/notempty"
touch "$work/notempty/x"
run backup "$work/notempty"
expect_rc 1 "a target that is not empty"
expect_err "is not empty"
# an empty directory of the user's own is taken (and made private)
mkdir -m 755 "$work/mine"
run backup "$work/mine"
expect_rc 0 "an empty directory of the user's own"
[ -f "$work/mine/BACKUP" ] || fail "the backup into an empty directory lacks its mark"
[ "$(stat -c %a "$work/mine")" = 700 ] || fail "the backup directory is $(stat -c %a "$work/mine"), not 700"
ls -d "$work"/.mine.partial-* >/dev/null 2>&1 && fail "a finished backup left its work directory"
run server stop

# ---- a backup is inert; a restored one is live ----
export SEESTORE_SERVER_IDLE_S=1
live=$work/live
cat >"$work/hook.sh" <<'SH'
#!/bin/sh
echo "$SEETOP_HOME $SEETOP_EVENT $SEETOP_EXECUTION" >>"$1"
SH
chmod +x "$work/hook.sh"
for i in 1 2; do sed "s/test-waiting/d$i/" "$DATA/test-waiting.yaml" >"$work/d$i.yaml"; done
"$SEECTL" --home "$live" import "$work/d1.yaml" "$work/d2.yaml" >/dev/null || fail "import into the live home"
run --home "$live" notify add --on timeout -- "$work/hook.sh" "$work/hooks.out"
expect_rc 0 "notify add"
run --home "$live" deadline d1 task1 3s
expect_rc 0 "a deadline in 3 s"
run --home "$live" deadline d2 task1 3s
expect_rc 0 "a second deadline in 3 s"
run --home "$live" backup "$work/copy"
expect_rc 0 "backup with deadlines pending"
# the live home fires both
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
for _ in $(seq 1 200); do [ "$(lines "$work/hooks.out")" -ge 2 ] && break; sleep 0.05; done
[ "$(grep -c "^$live timeout" "$work/hooks.out" 2>/dev/null)" = 2 ] || fail "the live home did not fire its 2 deadlines: $(cat "$work/hooks.out" 2>/dev/null)"
sleep 1.5 # the deadlines are well past now, in the backup too
run --home "$work/copy" verify
expect_rc 0 "verify of a backup"
run --home "$work/copy" list
expect_rc 0 "list of a backup"
expect_out "waiting-for-input"
grep -c "^$work/copy" "$work/hooks.out" >/dev/null && fail "a hook ran for the backup: $(cat "$work/hooks.out")"
[ "$(lines "$work/hooks.out")" = 2 ] || fail "hooks ran for the backup: $(cat "$work/hooks.out")"
"$SEECTL" --home "$work/copy" history d1 --json | grep -q '"actor":"timer"' && fail "a deadline fired in the backup"
# changes are refused with a clear line
run --home "$work/copy" resume d1 task1
expect_rc 1 "a change to a backup"
expect_err "is a backup (seectl restore"
expect_one_line
# its server leaves when idle, deadlines pending or not
pid=$(server_pid "$work/copy")
for _ in $(seq 1 60); do [ -n "$pid" ] && [ -e "/proc/$pid" ] || break; sleep 0.1; done
[ -n "$pid" ] && [ -e "/proc/$pid" ] && fail "the backup's server (pid $pid) still runs 6 s after its last client"
grep -q "this home is a backup" "$work/copy/server.log" || fail "the backup's server.log does not say it is a backup"
# restore: a live home that fires each missed deadline once
run restore "$work/copy" "$work/restored"
expect_rc 0 "restore"
[ -e "$work/restored/BACKUP" ] && fail "the restored home keeps the backup's mark"
for _ in $(seq 1 200); do [ "$(grep -c "^$work/restored timeout" "$work/hooks.out")" -ge 2 ] && break; sleep 0.05; done
sleep 1.2
"$SEECTL" --home "$work/restored" list >/dev/null
sleep 0.5
n=$(grep -c "^$work/restored timeout" "$work/hooks.out")
[ "$n" = 2 ] || fail "the restored home fired its 2 missed deadlines $n times: $(cat "$work/hooks.out")"
grep -q "^$work/restored timeout d1" "$work/hooks.out" && grep -q "^$work/restored timeout d2" "$work/hooks.out" ||
	fail "the restored home's notifications: $(cat "$work/hooks.out")"
run --home "$work/restored" resume d2 task1
expect_rc 1 "an answer after the deadline passed"
run restore "$work/copy" "$work/restored"
expect_rc 1 "restore onto a home that exists"
expect_err "exists"
run restore "$live" "$work/other"
expect_rc 1 "restore of a live home"
expect_err "is not a backup"
"$SEECTL" --home "$work/restored" server stop >/dev/null

finish
