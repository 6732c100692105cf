# netns.sh - the three sites of a replication test in network namespaces of
# their own, on top of tests/repl/lib.sh: site N's server runs in namespace
# seetop-ID-N with the address 10.77.0.N, and the three are joined by veth
# links to one bridge in a fourth namespace (seetop-ID-br), so that a
# partition is a link set down (cut_site N) and a heal a link set up
# (heal_site N).  ID is this test's pid, so that tests running at once
# (make -j2 check) never share a name.  Every seectl of the test runs in its
# site's namespace (on N ...), and so does any server it starts.  The
# namespaces, their links and the servers go on exit, failed or not.
# Making namespaces needs root (CI runs as root): without it the test fails.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

NS_ID=$$
NS_BR=seetop-$NS_ID-br
site_ns() { echo "seetop-$NS_ID-$1"; }
site_addr() { echo "10.77.0.$1:$(site_port "$1")"; }

netns_down() {
	for g in $(cat "$work/bg_groups" 2>/dev/null); do kill -- "-$g" 2>/dev/null; done
	stop_sites_keep_work
	for n in 1 2 3; do ip netns del "$(site_ns $n)" 2>/dev/null; done
	ip netns del "$NS_BR" 2>/dev/null
	[ -n "${KEEP_WORK:-}" ] && echo "kept $work" || rm -rf "$work"
}

# every server of the test, killed and waited for (its namespace stays)
stop_sites_keep_work() {
	for n in 1 2 3; do
		p=$(site_pid $n 2>/dev/null)
		[ -n "$p" ] && kill -CONT "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
	done
	for n in 1 2 3; do
		p=$(site_pid $n 2>/dev/null)
		[ -n "$p" ] && wait_for 5 eval "! kill -0 $p 2>/dev/null"
	done
	return 0
}
trap netns_down EXIT

netns_fail() {
	echo "FAIL: cannot make the network namespaces of the test ($*): run it as root with iproute2 (CI does)" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || netns_fail "not root"
command -v ip >/dev/null || netns_fail "no ip command"
ip netns add "$NS_BR" || netns_fail "ip netns add $NS_BR"
ip -n "$NS_BR" link add br0 type bridge || netns_fail "a bridge"
ip -n "$NS_BR" link set br0 up || netns_fail "the bridge up"
for n in 1 2 3; do
	ns=$(site_ns $n)
	ip netns add "$ns" || netns_fail "ip netns add $ns"
	ip -n "$ns" link add eth0 type veth peer name p$n netns "$NS_BR" || netns_fail "a veth link for site $n"
	ip -n "$ns" addr add "10.77.0.$n/24" dev eth0 || netns_fail "an address for site $n"
	ip -n "$ns" link set lo up && ip -n "$ns" link set eth0 up || netns_fail "the links of site $n up"
	ip -n "$NS_BR" link set p$n master br0 && ip -n "$NS_BR" link set p$n up || netns_fail "site $n on the bridge"
done
for n in 2 3; do
	ip netns exec "$(site_ns 1)" python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], 9), timeout=3)
except ConnectionRefusedError:
    pass' "10.77.0.$n" 2>/dev/null || netns_fail "site 1 does not reach 10.77.0.$n"
done

# on SITE CMD...: seectl on a site's home, inside its namespace
on() {
	n=$1
	shift
	SEETOP_WRAPPER="ip netns exec $(site_ns "$n") ${SEETOP_WRAPPER:-}" run --home "$(site_home "$n")" "$@"
}
# in_site SITE CMD...: any command inside a site's namespace
in_site() { n=$1; shift; ip netns exec "$(site_ns "$n")" "$@"; }
# bg_in_site SITE OUT CMD...: a command in the background, inside a site's
# namespace, in a process group of its own (bg_pid: the group), stopped by
# bg_stop or on exit; its output goes to OUT
bg_in_site() {
	n=$1 out=$2
	shift 2
	setsid ip netns exec "$(site_ns "$n")" "$@" >"$out" 2>&1 &
	bg_pid=$!
	echo "$bg_pid" >>"$work/bg_groups"
}
bg_stop() { kill -- "-$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# a partition: site N cut from the others, and healed
cut_site() { ip -n "$NS_BR" link set "p$1" down; }
heal_site() { ip -n "$NS_BR" link set "p$1" up; }

# a group of three on the namespaces' addresses (any further options go to
# every init and join): site 1 the master, 2 and 3 its replicas
make_ns_group() {
	on 1 import "$DATA/test-waiting.yaml" --create
	expect_rc 0 "import at site 1"
	on 1 repl init --listen "$(site_addr 1)" --any-address "$@"
	expect_rc 0 "repl init"
	for n in 2 3; do
		on $n repl join --listen "$(site_addr $n)" --helper "$(site_addr 1)" --any-address "$@"
		expect_rc 0 "repl join of site $n"
	done
}
