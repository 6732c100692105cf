#!/bin/sh
# users.sh - a user other than the owner, at a replica: the master makes the
# change for that user (the replica forwards who sent it), with the rights
# rules of a single site.  A respondent who may only read answers at a
# replica; the answer is theirs in the audit trail of every site; one who
# may only read is refused a change at a replica with the line the master
# gives.  Two users: root (the owner) and nobody, through setpriv.
. "${SEETOP_TOP_SRCDIR:?}/tests/repl/lib.sh"
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null ||
	{ echo "FAIL: users.sh needs root and setpriv for a second user" >&2; exit 1; }
# as_nobody SITE CMD...: seectl as nobody on a site's home
as_nobody() {
	n=$1
	shift
	setpriv --reuid=65534 --regid=65534 --init-groups "$SEECTL" --home "$(site_home "$n")" "$@" >"$work/out" 2>"$work/err"
	rc=$?
}

# homes open to nobody's group, as the README says for monitoring users
chmod 755 "$work"
for n in 1 2 3; do
	mkdir -p "$(site_home $n)"
	chgrp 65534 "$(site_home $n)"
	chmod 750 "$(site_home $n)"
done
for i in 1 2 3; do
	sed "s/test-waiting/r$i/" "$DATA/test-waiting.yaml" >"$work/r$i.yaml"
done
make_group "$work/r1.yaml" "$work/r2.yaml" "$work/r3.yaml"
on 2 respondents r1 task1 nobody
expect_rc 0 "the owner names nobody at a replica"
on 3 respondents r3 task1 @nogroup
expect_rc 0 "the owner names @nogroup at a replica"

# ---- a respondent answers at a replica ----
as_nobody 2 resume r1 task1 --input yes
expect_rc 0 "nobody answers at a replica what names them"
# made for nobody, and visible at that replica when the command returned
on 2 history r1 --json
grep '"action":"resume-task"' "$work/out" >"$work/ev"
grep -q '"user":"nobody"' "$work/ev" || fail "the answer at site 2 was not made for nobody: $(cat "$work/ev")"
on 1 history r1 --json
grep '"action":"resume-task"' "$work/out" | grep -q '"user":"nobody"' || fail "the master's audit trail does not say nobody answered"
# a member of the named group, at the other replica
as_nobody 3 reject r3 task1 --reason "not this week"
expect_rc 0 "a member of @nogroup rejects at a replica"
on 3 show r3 --json
[ "$(json '["tasks"][0]["status"]')" = failed ] || fail "r3 was not rejected: $(json '["tasks"][0]["status"]')"

# ---- one who may only read: refused at a replica as at the master ----
# an answer to a task that names no one: the store's respondent rule
as_nobody 1 resume r2 task1 --input yes
expect_rc 1 "nobody answering an unrestricted task at the master"
master_line=$(cat "$work/err")
as_nobody 2 resume r2 task1 --input yes
expect_rc 1 "nobody answering an unrestricted task at a replica"
expect_one_line
[ "$(cat "$work/err")" = "$master_line" ] || fail "the replica's refusal '$(cat "$work/err")' is not the master's '$master_line'"
expect_err "read-only for user nobody"
# a change that is no answer
as_nobody 1 pause r2 task1
expect_rc 1 "nobody pausing at the master"
master_line=$(sed "s|$(site_home 1)|HOME|" "$work/err")
as_nobody 2 pause r2 task1
expect_rc 1 "nobody pausing at a replica"
expect_one_line
[ "$(sed "s|$(site_home 2)|HOME|" "$work/err")" = "$master_line" ] ||
	fail "the replica's refusal '$(cat "$work/err")' is not the master's '$master_line'"
on 2 show r2 --json
[ "$(json '["execution"]["status"]')" = waiting-for-input ] || fail "r2 changed: $(json '["execution"]["status"]')"
# the owner's answer at a replica is the owner's
on 2 resume r2 task1 --input yes
expect_rc 0 "the owner answers at a replica"
on 2 history r2 --json
grep '"action":"resume-task"' "$work/out" | grep -q "\"user\":\"$(id -un)\"" || fail "the owner's answer is not recorded as $(id -un)'s"
finish
