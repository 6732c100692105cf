#!/usr/bin/env bash
# remote.sh - make bench-remote: a home over ssh (a real sshd on 127.0.0.1)
# against the same home over its local socket, in one run: a bare request
# and the first screen (and their ratio), a local commit to a remote
# subscriber's push, and what an idle remote dashboard sends: the bytes the
# host's proxy reads and writes in 10 s with a seetop open on it.
set -u
: "${BENCH_REMOTE:?run through make bench-remote}" "${BENCH_SEECTL:?}" "${BENCH_SEETOP:?}"
top_srcdir=${BENCH_SRCDIR:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/seetop-bench-remote-XXXXXX")
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
. "$top_srcdir/tests/remote/sshd.sh"
trap 'sshd_stop; tmux -L "bench-remote-$$" kill-server 2>/dev/null; "$BENCH_SEECTL" --home "$work/home" server stop >/dev/null 2>&1; rm -rf "$work"' EXIT
export SEETOP_CONFIG=$work/none.yaml
printf 'confirm: false\n' >"$SEETOP_CONFIG"
sshd_start
mkdir -m 700 "$work/run"
export XDG_RUNTIME_DIR=$work/run SEETOP_SSH=$SSH_WRAPPER
export SEETOP_REMOTE_SEECTL="env SEESTORE_SERVER=${SEESTORE_SERVER:-} SEETOP_CONFIG=$SEETOP_CONFIG $BENCH_SEECTL"
size=${BENCH_SIZE:-10000}
"$BENCH_SEECTL" --home "$work/home" --create gen --executions "$size" >/dev/null || exit 3
exec_id=$("$BENCH_SEECTL" --home "$work/home" list --status running --json | head -1 |
	python3 -c 'import json,sys; e=json.loads(sys.stdin.readline()); print(e["id"], e["task_ids"][0])')
R="ssh://$(id -un)@127.0.0.1:$SSHD_PORT$work/home"
echo "seetop bench-remote: $size executions, ssh on loopback"
# shellcheck disable=SC2086
"$BENCH_REMOTE" "$work/home" "$R" $exec_id || exit 3

# an idle remote dashboard: what crosses the link in 10 s
T="tmux -L bench-remote-$$"
$T -f /dev/null new-session -d -x 100 -y 30 \
	"env TERM=xterm-256color XDG_RUNTIME_DIR=$work/run SEETOP_SSH=$SSH_WRAPPER SEETOP_REMOTE_SEECTL='$SEETOP_REMOTE_SEECTL' $BENCH_SEETOP --home $R"
sleep 3
io() { # rchar + wchar of every proxy on the host
	local t=0
	for p in $(pgrep -f "seectl --home $work/home server proxy"); do
		t=$((t + $(awk '/^(rchar|wchar):/ { s += $2 } END { print s + 0 }' "/proc/$p/io" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
a=$(io)
sleep 10
b=$(io)
printf '%-52s %10s %8d B   target 0 (no requests)\n' "idle remote dashboard, 10 s: bytes through the proxy" "" $((b - a))
$T kill-server 2>/dev/null
exit 0
