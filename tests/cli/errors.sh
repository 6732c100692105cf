#!/usr/bin/env bash
# Every exit code and error message of seectl; malformed data files are
# refused with FILE:LINE:COLUMN and leave the store unchanged.
. "$(dirname "$0")/lib.sh"

run import "$DATA/test-waiting.yaml"
expect_rc 0 "import"

run pause nope task1
expect_rc 1 "pause an unknown execution"
expect_err "seectl: execution 'nope' not found"
expect_one_line
run pause test-waiting zz
expect_rc 1 "pause an unknown task"
expect_err "seectl: task 'zz' not found in execution 'test-waiting'"
run pause test-waiting task1
expect_rc 1 "pause a waiting task"
expect_err "task 'task1' cannot be paused (status: waiting-for-input)"
run show nope
expect_rc 1 "show an unknown execution"
run delete nope
expect_rc 1 "delete an unknown execution"
run import "$DATA/test-waiting.yaml"
expect_rc 1 "import an id that exists"
expect_err "execution 'test-waiting' already exists (use --replace to overwrite it)"
run import --replace "$DATA/test-waiting.yaml"
expect_rc 0 "import --replace"

run frobnicate
expect_rc 2 "unknown command"
expect_err "unknown command 'frobnicate'"
run --bogus list
expect_rc 2 "unknown global option"
run list --status sleeping
expect_rc 2 "bad --status"
run pause only-one
expect_rc 2 "pause with one argument"
run resume a --input x
expect_rc 2 "--input without a task"
run import
expect_rc 2 "import without files"
run import "$work/missing.yaml"
expect_rc 2 "import a missing file"
expect_err "missing.yaml: No such file or directory"

# malformed data files: FILE:LINE:COLUMN, exit 2, nothing imported (the
# server is stopped first: its checkpoint when it leaves idle would change
# the files under a slow run, valgrind's, with nothing imported)
"$SEECTL" server stop >/dev/null 2>&1
before=$(home_sum "$SEETOP_HOME")
bad() { # NAME EXPECTED-MESSAGE  (the file's text on stdin)
	cat >"$work/$1.yaml"
	run import "$work/$1.yaml"
	expect_rc 2 "import $1"
	expect_err "$2"
	expect_one_line
	expect_err "(nothing was imported)"
}
bad indent "$work/indent.yaml:4:13: mapping values are not allowed in this context" < <(printf 'executions:\n  - id: a\n    workflow_name: x\n      status: running\n')
bad unknown "$work/unknown.yaml:3:5: unknown key 'workflow' in an execution" < <(printf 'executions:\n  - id: a\n    workflow: x\n')
bad wrongtype "$work/wrongtype.yaml:6:16: 'is_paused' must be true or false" < <(printf 'executions:\n  - id: a\n    workflow_name: x\n    start_timestamp: 2024-12-19T10:00:00Z\n    status: running\n    is_paused: maybe\n')
bad status "$work/status.yaml:5:13: unknown execution status 'sleeping'" < <(printf 'executions:\n  - id: a\n    workflow_name: x\n    start_timestamp: 2024-12-19T10:00:00Z\n    status: sleeping\n')
bad timestamp "$work/timestamp.yaml:4:22: 'start_timestamp' is not an RFC 3339 time: 'yesterday'" < <(printf 'executions:\n  - id: a\n    workflow_name: x\n    start_timestamp: yesterday\n    status: running\n')
bad duplicate "$work/duplicate.yaml:6:9: duplicate execution id 'a'" < <(printf 'executions:\n  - id: a\n    workflow_name: x\n    start_timestamp: 2024-12-19T10:00:00Z\n    status: running\n  - id: a\n    workflow_name: y\n    start_timestamp: 2024-12-19T10:00:00Z\n    status: running\n')
bad invariant "$work/invariant.yaml:2:5: execution 'a': status is waiting-for-input but is_paused is false" < <(printf 'executions:\n  - id: a\n    workflow_name: x\n    start_timestamp: 2024-12-19T10:00:00Z\n    status: waiting-for-input\n    tasks: [{task_id: t, status: in-progress}]\n')
bad second "$work/second.yaml:7:20: 'workflow_name' must be a string" < <(printf 'executions:\n  - id: ok\n    workflow_name: x\n    start_timestamp: 2024-12-19T10:00:00Z\n    status: running\n  - id: b\n    workflow_name: [1]\n')
bad topkey "$work/topkey.yaml:1:1: unknown key 'exec'" < <(printf 'exec:\n  - id: a\n')
after=$(home_sum "$SEETOP_HOME")
[ "$before" = "$after" ] || fail "a refused import changed the store's files"
run show ok
expect_rc 1 "the valid execution before the bad one was not imported"

# a bad config file: FILE:LINE:COLUMN, exit 2
printf 'refresh: 10\n' >"$work/bad-config.yaml"
run --config "$work/bad-config.yaml" list
expect_rc 2 "bad config"
expect_err "$work/bad-config.yaml:1:1: unknown key 'refresh'"
run --config "$work/nope.yaml" list
expect_rc 2 "missing config"

# storage errors: exit 3
mkdir -p "$work/notdir" && : >"$work/file"
run --home "$work/file" list
expect_rc 3 "a home that is a file"
expect_err "home '$work/file' is not a directory"

run help pause
expect_rc 0 "help pause"
expect_out "usage: seectl [global options] pause EXEC TASK"
run pause --help
expect_rc 0 "pause --help"
run --help
expect_out "Exit codes:"
# help is laid out for 80 columns: no line of the usage or of any command's
# help is longer (resume's usage line was 85, its --all paragraph broke
# mid-sentence), and a usage of alternatives gives each its line
for c in "" $(awk '/^  [a-z]/ {print $1}' "$work/out") completion; do
	# shellcheck disable=SC2086
	"$SEECTL" help $c >"$work/help" || fail "seectl help $c failed"
	awk -v c="help $c" 'length($0) > 80 { printf "FAIL: seectl %s: a line of %d columns: %s\n", c, length($0), $0; bad = 1 }
		END { exit bad }' "$work/help" >&2 || failures=$((failures + 1))
done
run help resume
expect_out "usage: seectl [global options] resume EXEC [TASK] [--input VALUE]"
expect_out "       seectl [global options] resume --all [SELECTORS]"
expect_out "Exit 0 when every execution was done, 1 when any was refused or skipped; a"
# a missing home is an error: one line, exit 1, nothing created (not even the parents)
run --home "$work/typo/deeper" list
expect_rc 1 "a home that does not exist"
expect_err "no store in '$work/typo/deeper'"
expect_err "create one with seectl import FILE"
expect_one_line
[ -e "$work/typo" ] && fail "a mistyped home was created"
mkdir -p "$work/empty-dir"
run --home "$work/empty-dir" paused
expect_rc 1 "a directory without a store"
[ -e "$work/empty-dir/meta.db" ] && fail "a store was made in an empty directory"
run list --home "$work/made" --create
expect_rc 0 "--create (after the command)"
[ -e "$work/made/meta.db" ] || fail "--create made no store"
# a relative XDG_STATE_HOME is ignored, as the spec says
(cd "$work" && env -u SEETOP_HOME XDG_STATE_HOME=rel HOME="$work/h" "$SEECTL" --create list >/dev/null 2>&1)
[ -e "$work/rel" ] && fail "a relative XDG_STATE_HOME was used"
[ -e "$work/h/.local/state/seetop/meta.db" ] || fail "the default home was not used"
"$SEECTL" server stop --home "$work/h/.local/state/seetop" >/dev/null 2>&1
# data files are bounded: FILE:LINE:COL, in bounded memory, nothing imported
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
big = "x" * (1 << 20)
with open(w + "/bomb.yaml", "w") as f:       # a 1 MB log line aliased 100 times: 100 MB of text
    f.write("executions:\n  - id: b0\n    workflow_name: bomb\n    start_timestamp: 2026-01-01T00:00:00Z\n"
            "    status: running\n    tasks:\n      - task_id: t\n        task_name: t\n        status: in-progress\n"
            "        start_timestamp: 2026-01-01T00:00:00Z\n        end_timestamp: \"\"\n        logs:\n"
            "          - &big %s\n" % big)
    for i in range(1, 100):
        f.write("          - *big\n")
with open(w + "/longname.yaml", "w") as f:
    f.write("executions:\n  - id: long\n    workflow_name: %s\n    start_timestamp: 2026-01-01T00:00:00Z\n    status: running\n    tasks: []\n" % ("n" * 70000))
PY
before=$("$SEECTL" list --json 2>/dev/null | wc -l)
run import "$work/bomb.yaml"
expect_rc 2 "an alias bomb"
expect_err "bomb.yaml:"
expect_err "expands past 64 MB through its aliases"
expect_one_line
run import "$work/longname.yaml"
expect_rc 2 "a 70,000-byte workflow name"
expect_err "longname.yaml:3:20: 'workflow_name' is 70000 bytes long: at most 65536 (64 KiB)"
[ "$("$SEECTL" list --json 2>/dev/null | wc -l)" = "$before" ] || fail "a refused data file imported something"
# the man pages name the installed paths and have a FILES section
for m in seetop.1 seectl.1 seerun.1 seetop.yaml.5; do
	f=$top_builddir/assets/$m
	[ -f "$f" ] || { fail "$m was not made"; continue; }
	grep -q "SYSCONFDIR\|PKGDATADIR\|@[A-Za-z_]*@" "$f" && fail "$m holds an unsubstituted path"
	grep -q "^\.SH FILES" "$f" || fail "$m has no FILES section"
done
# a NUL byte and bytes that are not UTF-8: named by line and column
printf 'executions:\n  - id: a\n    workflow_name: ab\000c\n' >"$work/nul.yaml"
run import "$work/nul.yaml"
expect_rc 2 "a NUL byte in a data file"
expect_err "nul.yaml:3:22: a NUL byte"
printf 'executions:\n  - id: a\n    workflow_name: caf\303\251 \377\n' >"$work/latin.yaml"
run import "$work/latin.yaml"
expect_rc 2 "bytes that are not UTF-8"
expect_err "latin.yaml:3:25: invalid leading UTF-8 octet"
# no source- or build-tree path is compiled into the programs (the demo
# finds its files in pkgdatadir, or through the build's Makefile when run
# from the build tree)
for prog in "$top_builddir"/tui/.libs/seetop "$top_builddir"/tui/.libs/lt-seetop; do
	[ -f "$prog" ] || continue
	if strings "$prog" | grep -qF -e "$top_srcdir/assets" -e "$top_builddir/cli/seerun"; then
		fail "$prog holds a build-tree path: $(strings "$prog" | grep -F -e "$top_srcdir/assets" -e "$top_builddir/cli" | head -2)"
	fi
done
finish
