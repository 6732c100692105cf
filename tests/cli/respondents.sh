#!/bin/bash
# respondents.sh - who may answer: the server takes each client's Unix user
# from its socket (the audit trail records it beside --actor, which cannot
# forge it); a task that names respondents (users, @groups) refuses anyone
# else's answer, reject or cancel; a user who may only read the home may
# answer what names them; no_self_approval refuses the user who started the
# execution; only a named respondent may change the names.  Two users: root
# (the owner) and nobody, through setpriv.
. "$(dirname "$0")/lib.sh"
SEERUN=$top_builddir/cli/seerun
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "respondents.sh needs root and setpriv for a second user: skipping"
	exit 77
fi
me=$(id -un)
nobody() { setpriv --reuid=65534 --regid=65534 --init-groups "$SEECTL" --home "$SEETOP_HOME" "$@" >"$work/out" 2>"$work/err"; rc=$?; }
for i in 1 2 3; do
	sed "s/test-waiting/r$i/" "$DATA/test-waiting.yaml" >"$work/r$i.yaml"
done
run import "$work/r1.yaml" "$work/r2.yaml" "$work/r3.yaml"
expect_rc 0 "import"
# the home opened to its group, as the README says for monitoring users
chmod 755 "$work"
chgrp 65534 "$SEETOP_HOME"
chmod 750 "$SEETOP_HOME"
"$SEECTL" server stop >/dev/null

# ---- bad names ----
run respondents r1 task1 "two words"
expect_rc 2 "a bad name"
expect_err "'two words' is not a user or @group name"
run respondents r1 task1
expect_rc 2 "no names"

# ---- a task that names nobody: the owner is refused, whatever --actor says ----
run respondents r1 task1 nobody
expect_rc 0 "respondents r1 task1 nobody"
run --actor nobody resume r1 task1 --input yes
expect_rc 1 "the owner answering a task that names another user"
expect_err "may be answered only by nobody: user $me may not"
expect_one_line
run reject r1 task1 --reason no
expect_rc 1 "the owner rejecting it"
run cancel r1 --reason no
expect_rc 1 "the owner cancelling its execution"
run respondents r1 task1 anyone
expect_rc 1 "the owner lifting a restriction that does not name them"
# nobody, who may only read the home, answers it
nobody resume r1 task1 --input yes
expect_rc 0 "nobody answers what names them"
"$SEECTL" history r1 --json | grep '"action":"resume-task"' | grep -q '"user":"nobody"' || fail "the answer's user is not nobody"
[ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["actor"])' "$("$SEECTL" history r1 --json | grep '"action":"resume-task"')")" != "" ] || fail "no actor"

# ---- a task that names no one: nobody may only read ----
nobody resume r2 task1 --input yes
expect_rc 1 "nobody answering an unrestricted task"
expect_err "read-only for user nobody"
nobody pause r2 task1
expect_rc 1 "nobody pausing"
nobody --read-only resume r1 task1 --input yes
expect_rc 1 "nobody with --read-only"
expect_err "store is open read-only"

# ---- a group ----
run respondents r3 task1 @nogroup
expect_rc 0 "respondents @nogroup"
nobody reject r3 task1 --reason "not this week"
expect_rc 0 "a member of the named group rejects"
[ "$("$SEECTL" show r3 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["status"])')" = failed ] || fail "r3 was not rejected"

# ---- a workflow file: respondents and no_self_approval; the user who started it is refused ----
"$SEERUN" --id fe "$DATA/workflows/respondents.json" >"$work/fe.out" 2>"$work/fe.err" &
pid=$!
for _ in $(seq 100); do "$SEECTL" paused 2>/dev/null | grep -q "^waiting-for-input *fe " && break; sleep 0.05; done
run show fe
expect_out "started by $me"
expect_out "answered by root, nobody (not the user who started it)"
run resume fe approve --input yes
expect_rc 1 "self-approval"
expect_err "user $me started execution 'fe' and may not answer its own request 'approve' (no_self_approval)"
nobody resume fe approve --input yes
expect_rc 0 "the other respondent approves"
wait $pid
rc=$?
expect_rc 0 "seerun goes on after the approval"
"$SEECTL" show fe | grep -q "applied" || fail "the next task did not run"

# ---- an old server and another user's newer client: it is not theirs to
# restart; they hear why, and the server stays ----
"$SEECTL" server stop >/dev/null
SEESTORE_PROTOCOL_REVISION=1 "$SEECTL" server start >/dev/null || fail "an old server"
oldpid=$(head -1 "$SEETOP_HOME/server.lock")
nobody list
expect_rc 3 "another user's newer client"
expect_err "is older than this program (protocol revision 1, not "
expect_err "): its owner's next command restarts it"
expect_one_line
[ "$(head -1 "$SEETOP_HOME/server.lock")" = "$oldpid" ] || fail "another user's client restarted the server"
run list
expect_rc 0 "the owner's newer client"
[ "$(head -1 "$SEETOP_HOME/server.lock")" != "$oldpid" ] || fail "the owner's newer client did not restart the old server"

run verify
expect_rc 0 "verify"
chmod 700 "$SEETOP_HOME"
finish
