#!/usr/bin/env bash
# Installing after a build for another prefix: a fresh build configured for
# one prefix, configured again for a second and installed there, gives
# programs that find their library (rpath) and their data under the second
# prefix, and nothing installed names the first.  It builds seectl, then the
# whole tree (35 s with make -j2 on an idle 2-core machine; 100 s on a busy one).
. "$(dirname "$0")/lib.sh"
start=$(date +%s)

if [ -f "$top_srcdir/config.status" ]; then
	# a tree configured in place cannot be configured elsewhere: build from a copy
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" distdir distdir="$work/src" >"$work/log" 2>&1 ||
		{ fail "make distdir: $(tail -5 "$work/log")"; finish; }
	src=$work/src
else
	src=$(cd "$top_srcdir" && pwd)
fi
first=$work/first
second=$work/second
mkdir "$work/build"
# build STEP PREFIX TARGETS: configure the build for PREFIX, then make TARGETS
build() {
	(cd "$work/build" && "$src/configure" -q --prefix="$2" CFLAGS=-O0 &&
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -j2 $3) >"$work/$1.log" 2>&1 ||
		fail "$1 (--prefix=$2, make $3) failed: $(tail -5 "$work/$1.log")"
}
# (seectl and its libraries: the whole tree would only take longer)
build "build for the first prefix" "$first" "seetop_paths.h cli/seectl"
build "install into the second prefix" "$second" install
[ -e "$first" ] && fail "installing into the second prefix wrote into the first"

# the installed programs, with nothing of the build tree or the tests around
installed() {
	(cd "$work" && env -u SEESTORE_SERVER -u LD_LIBRARY_PATH -u SEETOP_HOME -u SEETOP_CONFIG HOME="$work/user" \
		TERM=xterm timeout 60 "$@")
}
mkdir -p "$work/user"
out=$(installed "$second/bin/seectl" --version 2>&1) || fail "the installed seectl does not run: $out"
[ "$out" = "seectl 0.1.0" ] || fail "seectl --version: $out"
runpath=$(readelf -d "$second/bin/seectl" | grep -E 'RUNPATH|RPATH')
case $runpath in *"$second/lib"*) ;; *) fail "seectl's rpath is not the second prefix's lib: $runpath" ;; esac
installed "$second/bin/seectl" --help | grep -qF "$second/etc/seetop/config.yaml" ||
	fail "seectl --help does not name the second prefix's config"
installed "$second/bin/seetop" --demo -b -n 1 >"$work/frame" 2>"$work/err" ||
	fail "seetop --demo -b -n 1 from the second prefix failed: $(cat "$work/err")"
grep -q "deploy-prod-4821" "$work/frame" || fail "the demo frame lacks the demo's data: $(head -5 "$work/frame")"
[ -e "$second/share/bash-completion/completions/seectl" ] || fail "no bash completion installed"
[ -e "$second/share/zsh/site-functions/_seectl" ] || fail "no zsh completion installed"
grep -rlF "$first" "$second" >"$work/stale" && fail "installed files name the first prefix: $(cat "$work/stale")"
echo "install.sh: $(($(date +%s) - start)) s"
finish
