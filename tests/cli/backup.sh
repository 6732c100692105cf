#!/usr/bin/env bash
# backup.sh - backups are atomic and private: written into a new private
# directory beside the target and renamed into place when complete, so a
# killed backup leaves no target directory; a target that is another user's,
# or that others can write, is refused.
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

finish
