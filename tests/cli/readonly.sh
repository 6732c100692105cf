#!/usr/bin/env bash
# --read-only refuses every change with exit 1 and leaves every data file of
# the home byte-identical; reads still work.
. "$(dirname "$0")/lib.sh"

run import "$top_srcdir/assets/demo.yaml"
expect_rc 0 "import the demo"
before=$(home_sum "$SEETOP_HOME")
for args in "pause nightly-etl-1190 load" "resume scale-web-310" "resume scale-web-310 replicas --input 3" \
	"delete backup-db-884" "import --replace $top_srcdir/assets/demo.yaml"; do
	# shellcheck disable=SC2086
	run --read-only $args
	expect_rc 1 "read-only $args"
	expect_err "seectl: store is open read-only"
done
printf 'read_only: true\n' >"$work/ro.yaml"
run --config "$work/ro.yaml" pause nightly-etl-1190 load
expect_rc 1 "read_only: true in the config"
for args in "list" "paused" "show scale-web-310" "history" "verify" "export"; do
	# shellcheck disable=SC2086
	run --read-only $args
	expect_rc 0 "read-only $args"
done
after=$(home_sum "$SEETOP_HOME")
[ "$before" = "$after" ] || fail "a read-only run changed the home's data files"
run --config "$work/ro.yaml" --write pause nightly-etl-1190 load
expect_rc 0 "--write overrides read_only in the config"
finish
