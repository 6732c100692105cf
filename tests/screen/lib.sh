# lib.sh - helpers for the screen tests: the real seetop in a real terminal
# (tmux) at a fixed size and TERM, keys sent, the pane captured and compared
# with what a person should see.
set -u
top_srcdir=${SEETOP_TOP_SRCDIR:?run through make check}
top_builddir=${SEETOP_TOP_BUILDDIR:?run through make check}
SEETOP=$top_builddir/tui/seetop
SEECTL=$top_builddir/cli/seectl
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed: the screen tests need it (apt-get install tmux)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/seetop-screen-XXXXXX")
export SEETOP_HOME=$work/home
export SEETOP_CONFIG=$work/config.yaml
printf 'confirm: true\nrefresh_ms: 200\n' >"$SEETOP_CONFIG"
sock="seetop-test-$$"
T="tmux -L $sock"
failures=0
trap '$T kill-server 2>/dev/null; rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# start [SEETOP-ARGS...]: runs seetop in a 100x30 pane; TERM and other
# variables may be set with start_env first
SEETOP_TERM=xterm-256color
start() {
	if $T has-session 2>/dev/null; then
		$T kill-server 2>/dev/null
		while $T has-session 2>/dev/null; do sleep 0.05; done
		sleep 0.2
	fi
	$T -f /dev/null new-session -d -x "${W:-100}" -y "${H:-30}" \
		"env TERM=$SEETOP_TERM ${START_ENV:-} $SEETOP $*; echo \"[exit \$?]\"; sleep 30"
	wait_for "seetop " 5 || fail "seetop did not start: $(screen)"
}
screen() { $T capture-pane -p; }
screen_e() { $T capture-pane -p -e; }
keys() { $T send-keys "$@"; sleep 0.15; }
# wait_for TEXT SECONDS: polls the pane until TEXT shows
wait_for() {
	local deadline=$((SECONDS + ${2:-3}))
	while [ $SECONDS -le $deadline ]; do
		screen | grep -qF -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
expect_screen() { wait_for "$1" "${2:-3}" || fail "screen lacks '$1':
$(screen)"; }
# row_sgr TEXT: the SGR parameters in force on the pane row holding TEXT
row_sgr() { screen_e | grep -F -- "$1" | head -1 | grep -oE $'\e\\[[0-9;]*m' | tr -d '\033[m' | tr '\n' ';'; }
has_sgr() { # TEXT PARAM: the row of TEXT sets SGR parameter PARAM
	case ";$(row_sgr "$1");" in *";$2;"*) return 0 ;; esac
	return 1
}
expect_not_screen() { ! screen | grep -qF -- "$1" || fail "screen holds '$1'"; }
# expect_gone TEXT [SECONDS]: what a key just sent takes away is gone within
# SECONDS (3): keys() waits 0.15 s, which a loaded machine may not keep to
expect_gone() {
	local deadline=$((SECONDS + ${2:-3}))
	while [ $SECONDS -le $deadline ]; do
		screen | grep -qF -- "$1" || return 0
		sleep 0.05
	done
	fail "screen still holds '$1':
$(screen)"
}
json() { "$SEECTL" show --json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$2"; }
home_sum() { (cd "$1" && find . -type f ! -name '__db.*' -print0 | sort -z | xargs -0 md5sum); }
load_demo() { "$SEECTL" import "$top_srcdir/assets/demo.yaml" >/dev/null || fail "importing the demo"; }
finish() {
	[ "$failures" -eq 0 ] && exit 0
	echo "$failures check(s) failed" >&2
	exit 1
}
