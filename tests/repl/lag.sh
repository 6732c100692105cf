#!/bin/sh
# lag.sh - a replica's dashboards hear of a change made at the master soon
# after its log brought it: a follower of the audit trail at a replica
# (seectl history --follow, on the replica's pushes) prints each of 20
# changes made at the master, spaced unevenly, a median of under 100 ms
# after the master's command returned (the replica looks whether its log
# moved every 20 ms: about 25 ms here; when it read its generation every
# 200 ms, about 250 ms here and 220 ms to a seetop).
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"

make_group
in_step() { on 2 repl status --json && [ "$(json "['role']")" = replica ] && [ "$(json "['lag_ms']")" = 0 ]; }
wait_for 20 in_step || fail "site 2 is not in step: $(cat "$work/out")"
python3 - "$SEECTL" "$(site_home 1)" "$(site_home 2)" >"$work/lag" <<'PY' || fail "the lag could not be measured: $(cat "$work/lag")"
import random, statistics, subprocess, sys, threading, time
seectl, master, replica = sys.argv[1:4]
f = subprocess.Popen([seectl, "--home", replica, "history", "test-waiting", "--follow", "--limit", "0"],
                     stdout=subprocess.PIPE, text=True)
seen = []
def read():
    for line in f.stdout:
        if " deadline " in line:
            seen.append(time.monotonic())
threading.Thread(target=read, daemon=True).start()
time.sleep(1)
done = []
random.seed(7)
for i in range(20):
    secs = 3600 + i
    subprocess.run([seectl, "--home", master, "deadline", "test-waiting", "task1", f"{secs}s"], check=True,
                   stdout=subprocess.DEVNULL)
    done.append(time.monotonic())
    time.sleep(random.uniform(0.15, 0.35))
time.sleep(2)
f.kill()
if len(seen) != len(done):
    print("%d of %d changes seen at the replica" % (len(seen), len(done)))
    sys.exit(1)
lags = sorted(max(0.0, s - d) * 1000 for s, d in zip(seen, done))
print("%d %d %d" % (statistics.median(lags), lags[int(len(lags) * 0.9)], lags[-1]))
PY
set -- $(cat "$work/lag")
echo "lag to a follower at a replica: median $1 ms, p90 $2 ms, max $3 ms (load average $(cut -d' ' -f1-3 /proc/loadavg))"
[ "${1:-1000}" -lt 100 ] || fail "a change at the master reached a replica's follower after a median of ${1:-?} ms (p90 ${2:-?} ms), not under 100 ms"
finish
