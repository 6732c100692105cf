# lib.sh - helpers for the replication tests: sites (homes with their own
# servers) on free loopback ports, on top of tests/cli/lib.sh.
. "${SEETOP_TOP_SRCDIR:?}/tests/cli/lib.sh"

# site homes and ports: site_home N, site_port N (N = 1, 2, 3)
ports=$(python3 - <<'PY'
import socket
s = []
for _ in range(4):
    k = socket.socket(); k.bind(("127.0.0.1", 0)); s.append(k)
print(" ".join(str(k.getsockname()[1]) for k in s))
PY
)
set -- $ports
PORT1=$1 PORT2=$2 PORT3=$3 PORT_SPARE=$4
site_home() { echo "$work/site$1"; }
site_port() { eval echo "\$PORT$1"; }
site_addr() { echo "127.0.0.1:$(site_port "$1")"; }

# the pid of a site's server (none: empty)
site_pid() { [ -f "$(site_home "$1")/server.lock" ] && head -1 "$(site_home "$1")/server.lock"; }

# on exit every server of the test is stopped, then the work directory goes
stop_sites() {
	for n in 1 2 3; do
		p=$(site_pid $n 2>/dev/null)
		[ -n "$p" ] && kill -CONT "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
	done
	# a failed test shows what the sites said (all a CI run keeps)
	if [ "${failures:-0}" -ne 0 ]; then
		for n in 1 2 3; do
			[ -f "$(site_home $n)/server.log" ] || continue
			echo "---- site $n: the end of its server.log" >&2
			tail -n 25 "$(site_home $n)/server.log" >&2
		done
	fi
	rm -rf "$work"
}
trap stop_sites EXIT

# on SITE CMD...: runs seectl on a site's home (run's out, err and rc)
on() { n=$1; shift; run --home "$(site_home "$n")" "$@"; }

# make_group [DATAFILE...]: a group of three, site 1 the master (holding
# the data files, test-waiting.yaml by default), 2 and 3 its replicas
make_group() {
	[ $# -gt 0 ] || set -- "$DATA/test-waiting.yaml"
	on 1 import "$@" --create
	expect_rc 0 "import at site 1"
	on 1 repl init --listen "$(site_addr 1)"
	expect_rc 0 "repl init"
	for n in 2 3; do
		on $n repl join --listen "$(site_addr $n)" --helper "$(site_addr 1)"
		expect_rc 0 "repl join of site $n"
	done
}

# role_of SITE: master, replica or none, from repl status --json
role_of() {
	on "$1" repl status --json
	[ "$rc" -eq 0 ] && json "['role']" 2>/dev/null || echo "?"
}

# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds; false if it never did
wait_for() {
	local until=$(( $(date +%s) + $1 )); shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$until" ] && return 1
		sleep 0.1
	done
}

# status SITE EXEC [TASK]: the execution's status at that site (or its
# task's), "missing" when it has none; is_status SITE STATUS EXEC [TASK]
status() {
	"$SEECTL" --home "$(site_home "$1")" show "$2" --json >"$work/st.json" 2>/dev/null || { echo missing; return; }
	python3 - "$work/st.json" "${3:-}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if sys.argv[2]:
    print(next(t["status"] for t in d["tasks"] if t["task_id"] == sys.argv[2]))
else:
    print(d["execution"]["status"])
PY
}
is_status() { [ "$(status "$1" "$3" "${4:-}")" = "$2" ]; }
