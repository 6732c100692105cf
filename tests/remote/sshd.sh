# sshd.sh - a real sshd on 127.0.0.1 for the tests of homes addressed as
# ssh://USER@HOST:PORT/PATH: its own config, a host key made here, key
# authentication for the home's owner (this user) and for a monitoring
# user in the home's group.  Sourced after tests/cli/lib.sh; needs root
# (sshd changes user) and fails, never skips, when it cannot start.
#
#   sshd_start        starts it; sets SSHD_PORT, SSH_WRAPPER (an ssh that uses
#                     this config: the tests' SEETOP_SSH), MON (the monitoring user)
#   sshd_stop         kills it (the connections it serves go with it)
#   sshd_keys_forced USER CMD   a key for USER whose authorized_keys line forces CMD
SSHD=${SSHD:-/usr/sbin/sshd}
MON=seetop-mon
sshdir=$work/ssh

sshd_need() {
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL: the ssh tests need root (sshd changes user)" >&2
		exit 1
	fi
	for p in "$SSHD" ssh ssh-keygen useradd setpriv python3; do
		command -v "$p" >/dev/null || { echo "FAIL: $p is missing: install openssh-server openssh-client" >&2; exit 1; }
	done
}

# a free port on 127.0.0.1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

sshd_setup() {
	sshd_need
	mkdir -p "$sshdir/keys" /run/sshd
	chmod 755 "$work"
	# the monitoring user: a shell to run the proxy, no password, not locked
	if ! id "$MON" >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /bin/sh "$MON" ||
			{ echo "FAIL: cannot create the user $MON" >&2; exit 1; }
	fi
	usermod -p "*" -d / "$MON" 2>/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$sshdir/host_key" -C host >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$sshdir/id_owner" -C owner >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$sshdir/id_mon" -C mon >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$sshdir/id_stranger" -C stranger >/dev/null
	cp "$sshdir/id_owner.pub" "$sshdir/keys/$(id -un)"
	cp "$sshdir/id_mon.pub" "$sshdir/keys/$MON"
	chmod 644 "$sshdir/keys/"*
	chmod 755 "$sshdir" "$sshdir/keys"
	SSHD_PORT=$(free_port)
	cat >"$sshdir/sshd_config" <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $sshdir/host_key
PidFile $sshdir/sshd.pid
AuthorizedKeysFile $sshdir/keys/%u
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
LogLevel VERBOSE
CFG
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$sshdir/host_key.pub")" >"$sshdir/known_hosts"
	cat >"$sshdir/ssh_config" <<CFG
Match user $MON
  IdentityFile $sshdir/id_mon
Host *
  IdentityFile $sshdir/id_owner
  IdentitiesOnly yes
  UserKnownHostsFile $sshdir/known_hosts
  StrictHostKeyChecking yes
  LogLevel ERROR
CFG
	SSH_WRAPPER=$sshdir/ssh
	printf '#!/bin/sh\nexec ssh -F %s "$@"\n' "$sshdir/ssh_config" >"$SSH_WRAPPER"
	chmod 755 "$SSH_WRAPPER"
}

sshd_start() {
	[ -n "${SSHD_PORT:-}" ] || sshd_setup
	"$SSHD" -D -e -f "$sshdir/sshd_config" 2>>"$sshdir/sshd.log" &
	SSHD_PID=$!
	disown "$SSHD_PID" 2>/dev/null
	for _ in $(seq 1 200); do
		if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$SSHD_PORT" 2>/dev/null; then
			return 0
		fi
		kill -0 "$SSHD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "FAIL: sshd did not start on 127.0.0.1:$SSHD_PORT: $(tail -3 "$sshdir/sshd.log")" >&2
	exit 1
}

# descendants PID: every process below PID
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '{ parent[$1] = $2 } END {
		for (p in parent) { q = parent[p]; while (q != "" && q != 0 && q != 1) { if (q == root) { print p; break } q = parent[q] } } }'
}

sshd_stop() {
	[ -n "${SSHD_PID:-}" ] || return 0
	# the listener and every session it serves (this test's only: another
	# test's sshd may run beside it)
	kill -STOP "$SSHD_PID" 2>/dev/null
	for p in $(descendants "$SSHD_PID"); do kill -9 "$p" 2>/dev/null; done
	kill -9 "$SSHD_PID" 2>/dev/null
	while kill -0 "$SSHD_PID" 2>/dev/null; do sleep 0.02; done
	SSHD_PID=
}

# sshd_key_forced USER CMD: a new key (printed path) for USER, whose line in
# authorized_keys runs CMD whatever the client asks
sshd_key_forced() {
	local key=$sshdir/id_forced_$1
	ssh-keygen -q -t ed25519 -N '' -f "$key" -C forced >/dev/null
	printf 'command="%s",restrict %s\n' "$2" "$(cut -d' ' -f1,2 "$key.pub")" >>"$sshdir/keys/$1"
	echo "$key"
}
