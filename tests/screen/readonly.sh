#!/usr/bin/env bash
# Read-only: mutating keys are absent from the footer, dimmed in the help,
# refused with "read-only mode", and the home's files stay byte-identical.
. "$(dirname "$0")/lib.sh"
load_demo
"$SEECTL" verify >/dev/null
before=$(home_sum "$SEETOP_HOME")
start -r
expect_screen "[RO]"
expect_not_screen "p pause"
for k in p r R; do
	keys "$k"
	expect_screen "read-only mode"
	expect_not_screen "[y/N]"
done
keys '?'
expect_screen "pause the selected task  (read-only mode)"
keys q q
expect_screen "[exit 0]"
printf 'read_only: true\n' >"$SEETOP_CONFIG"
start
expect_screen "[RO]"
keys q
expect_screen "[exit 0]"
after=$(home_sum "$SEETOP_HOME")
[ "$before" = "$after" ] || fail "read-only changed the home's data files"
# --write overrides read_only: true from the config
start --write
expect_screen "[RW]"
expect_screen "p pause"
keys q
expect_screen "[exit 0]"
finish
