#!/usr/bin/env bash
# The bash completion script that seectl generates from its command table
# completes commands, options, execution ids from the home (through
# seectl completion ids) and a task id of the execution on the line; the
# file installed for bash-completion is the same script.
. "$(dirname "$0")/lib.sh"

bindir=$(cd "$top_builddir/cli" && pwd)
run import "$top_srcdir/assets/demo.yaml"
expect_rc 0 "import the demo"
run completion bash
expect_rc 0 "completion bash"
cp "$work/out" "$work/seectl.bash"
if [ -e "$top_builddir/assets/completion/seectl" ]; then
	cmp -s "$work/seectl.bash" "$top_builddir/assets/completion/seectl" ||
		fail "the built assets/completion/seectl is not what seectl completion bash prints"
else
	fail "the build made no assets/completion/seectl"
fi

# complete WORDS...: the completions of the last word, one a line
complete_words() {
	PATH=$bindir:$PATH bash -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_seectl
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort' bash "$work/seectl.bash" "$@"
}
# expect_completions WANT WORDS...
expect_completions() {
	want=$1
	shift
	got=$(complete_words "$@" | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "completing '$*': got '$got', expected '$want'"
}

expect_completions "pause paused " seectl pau
expect_completions "deadline delete " seectl de
expect_completions "" seectl completio   # hidden: what the scripts call
# the subcommands a synopsis starts with (status|start|stop..., add ... | list ... | remove N)
expect_completions "start status stop " seectl server st
expect_completions "remove " seectl notify rem
expect_completions "--dry-run " seectl resume --dry
expect_completions "--older-than " seectl cancel --ol
expect_completions "--home " seectl --ho
expect_completions "deploy-prod-4821 deploy-staging-4820 " seectl show dep
expect_completions "release-train-52 " seectl resume rel
# a task of the execution on the line, in the home the line names
expect_completions "approve " seectl --home "$SEETOP_HOME" resume deploy-prod-4821 ap
expect_completions "qa-signoff " seectl reject release-train-52 qa
# an option's value is not an argument
expect_completions "scale-web-310 " seectl reject --reason because sca
expect_completions "" seectl --home "$work/none" show dep
"$SEECTL" server stop >/dev/null 2>&1
finish
