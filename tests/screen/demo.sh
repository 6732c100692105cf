#!/usr/bin/env bash
# The dashboard on the demo: the expected rows, waiting rows in their colour
# and with a marker that shows without colour too, the help from the table.
. "$(dirname "$0")/lib.sh"
load_demo
start
expect_screen "seetop [RW]  running 3  waiting 5  complete 4  failed 2"
expect_screen "[RW]"
expect_screen "! waiting-for-input deploy-prod-4821"
expect_screen "> running           nightly-etl-1190"
expect_screen "x failed: validate  cert-renew-19"  # which task failed it
expect_screen "Approve the deployment of api v4.21.0"
expect_screen "input: Approve the deployment of api v4.21.0 to production? (boolean, required)"
expect_screen "p pause  r resume  R resume all"
# colour: the waiting rows are bold yellow (SGR 1 and 33), running ones cyan
has_sgr migrate-orders-77 33 || fail "the waiting row is not yellow: $(row_sgr migrate-orders-77)"
has_sgr migrate-orders-77 1 || fail "the waiting row is not bold: $(row_sgr migrate-orders-77)"
has_sgr nightly-etl-1190 36 || fail "the running row is not cyan: $(row_sgr nightly-etl-1190)"
has_sgr deploy-prod-4821 7 || fail "the selected row is not reversed"
# the help screen comes from the action table
keys '?'
expect_screen "pause the selected task"
expect_screen "jump to the next execution waiting for input"
keys q
expect_screen "TASK STATUS"
# n jumps to the next waiting execution, w filters to them
keys n
keys Tab
expect_screen "Type the table name to confirm the migration"
keys Escape
keys w
expect_screen "[waiting only]"
expect_not_screen "nightly-etl-1190"
keys w
expect_screen "nightly-etl-1190"
# / searches by id or name
keys / 'backup' Enter
expect_screen "backup-db-884"
expect_gone "deploy-prod-4821" # (backup-db-884 showed before the search too)
keys Escape
expect_screen "deploy-prod-4821"
keys q
expect_screen "[exit 0]"

# without colour the marker still shows
START_ENV="NO_COLOR=1" start
expect_screen "! waiting-for-input deploy-prod-4821"
has_sgr migrate-orders-77 33 && fail "NO_COLOR still coloured a row"
keys q
for term in screen linux vt100; do
	SEETOP_TERM=$term start
	expect_screen "! waiting-for-input deploy-prod-4821"
	keys q
	expect_screen "[exit 0]"
done
finish
