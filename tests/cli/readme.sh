#!/usr/bin/env bash
# The README's "seectl in use" block runs as written, in order, on a fresh
# demo home: the block is taken from README.md itself and run with the built
# seectl first on PATH; any command that exits non-zero fails the test.
. "$(dirname "$0")/lib.sh"

# the lines between the "## seectl in use" heading's ```sh fence and its end
awk '/^## seectl in use/ { on = 1; next }
     on && /^```sh/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' "$top_srcdir/README.md" >"$work/block.sh"
[ "$(grep -c '^seectl ' "$work/block.sh")" -ge 15 ] ||
	fail "the \"seectl in use\" block was not found in README.md: $(cat "$work/block.sh")"
grep -q '^seectl import assets/demo.yaml' "$work/block.sh" || fail "the block no longer imports the demo"

# a new user's shell: an empty HOME (the block's home is ~/.local/state/seetop),
# in a checkout (assets/ is the source tree's)
bindir=$(cd "$top_builddir/cli" && pwd)
mkdir -p "$work/user/checkout"
ln -s "$(cd "$top_srcdir" && pwd)/assets" "$work/user/checkout/assets"
{
	echo 'set -eE'
	# shellcheck disable=SC2016
	echo 'trap '\''echo "README line failed, exit $?: $BASH_COMMAND" >&2'\'' ERR'
	cat "$work/block.sh"
} >"$work/run.sh"
(
	cd "$work/user/checkout" || exit 99
	unset SEETOP_HOME
	HOME=$work/user PATH=$bindir:$PATH bash "$work/run.sh"
) >"$work/out" 2>"$work/err"
rc=$?
expect_rc 0 "the README's seectl block"
expect_out "imported 14 executions"
expect_out "would resume release-train-52"
expect_err "--workflow 'release train' matches 'Weekly release train' 1"
expect_out "verify: no problems"
[ -s "$work/user/checkout/backup.yaml" ] || fail "the block's export wrote nothing"
ls -d "$work"/user/seetop-backup-* >/dev/null 2>&1 || fail "the block's backup made no copy"
"$SEECTL" --home "$work/user/.local/state/seetop" server stop >/dev/null 2>&1
finish
