# lib.sh - helpers for the command-line tests: a throwaway home per script,
# the built seectl, and checks that say what was expected.
set -u
top_srcdir=${SEETOP_TOP_SRCDIR:?run through make check}
top_builddir=${SEETOP_TOP_BUILDDIR:?run through make check}
SEECTL=$top_builddir/cli/seectl
DATA=$top_srcdir/tests/data
work=$(mktemp -d "${TMPDIR:-/tmp}/seetop-cli-XXXXXX")
export SEETOP_HOME=$work/home
export SEETOP_CONFIG=$work/none.yaml   # no user config leaks into the tests
printf 'confirm: true\n' > "$work/none.yaml"
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run CMD...: runs seectl, keeping stdout, stderr and the exit code
run() {
	# SEETOP_WRAPPER runs seectl under valgrind in make check-valgrind
	${SEETOP_WRAPPER:-} "$SEECTL" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	return 0
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "$2: exit $rc, expected $1 (stderr: $(cat "$work/err"))"; }
expect_err() { grep -qF -- "$1" "$work/err" || fail "stderr lacks '$1': $(cat "$work/err")"; }
expect_out() { grep -qF -- "$1" "$work/out" || fail "stdout lacks '$1': $(head -c 400 "$work/out")"; }
expect_no_out() { ! grep -qF -- "$1" "$work/out" || fail "stdout holds '$1'"; }
# the whole stderr is one line
expect_one_line() { [ "$(wc -l <"$work/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$work/err")"; }

# json FIELD-PATH: prints a field of the JSON in $work/out (python3 parses it)
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$work/out" "$1"; }

# a checksum of every data file of a home (the __db.* region files are
# Berkeley DB's shared memory, written by every user of a home)
home_sum() { (cd "$1" && find . -type f ! -name '__db.*' -print0 | sort -z | xargs -0 md5sum); }

# big_import FILE N PREFIX: a data file of N complete executions PREFIX-000000
# ..., each with one 30,000-byte log line (1,500 of them: about 45 MB, three
# import frames of 16 MB)
big_import() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
path, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
line = "z" * 30000
with open(path, "w") as f:
    f.write("executions:\n")
    for i in range(n):
        f.write(f"""- id: {prefix}-{i:06d}
  workflow_name: Frames
  start_timestamp: 2025-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z
  status: complete
  tasks:
  - {{task_id: t1, status: complete, logs: ['{line}']}}
""")
PY
}

# running_yaml FILE WORKFLOW ID...: a data file of running executions, each
# with one pending task t1, started a second apart from 2025-01-01
running_yaml() {
	local file=$1 wf=$2 n=0
	shift 2
	echo "executions:" >"$file"
	for id in "$@"; do
		printf -- '- id: %s\n  workflow_name: %s\n  start_timestamp: 2025-01-01T00:00:%02dZ\n  status: running\n  tasks:\n  - {task_id: t1, status: pending}\n' \
			"$id" "$wf" "$n" >>"$file"
		n=$((n + 1))
	done
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures check(s) failed" >&2
		exit 1
	fi
	exit 0
}
