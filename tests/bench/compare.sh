#!/usr/bin/env bash
# compare.sh - make bench of two builds in one run, on the same machine:
# the old build and the new, alternately (old, new, old, new ...), then one
# table of seetop's figures side by side with new/old for each.
#
#   compare.sh OLD_BUILDDIR NEW_BUILDDIR     (each built with its tests/bench/bench)
#   BENCH_SIZES="10000 100000" ROUNDS=2
set -euo pipefail
old=${1:?usage: compare.sh OLD_BUILDDIR NEW_BUILDDIR}
new=${2:?usage: compare.sh OLD_BUILDDIR NEW_BUILDDIR}
rounds=${ROUNDS:-2}
for b in "$old" "$new"; do
	[ -x "$b/tests/bench/bench" ] || { echo "compare: $b/tests/bench/bench is missing: run make tests/bench/bench there" >&2; exit 2; }
done
out=$(mktemp -d "${TMPDIR:-/tmp}/seetop-compare-XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$rounds"); do
	for side in old new; do
		dir=$old
		[ "$side" = new ] && dir=$new
		echo "compare: round $r, $side build ($dir)" >&2
		server=
		[ -x "$dir/store/seestore-server" ] && server=$dir/store/seestore-server
		(cd "$dir" && SEESTORE_SERVER=$server BENCH_SEETOP="$dir/tui/seetop" ./tests/bench/bench) >"$out/$side.$r" 2>&1 ||
			{ echo "compare: the $side build's bench failed:" >&2; tail -5 "$out/$side.$r" >&2; exit 1; }
	done
done
# Lines are "SIZE  FIGURE  SEETOP  SQLITE  RATIO ...": keep seetop's value
# per (size, figure), the median over the rounds.
extract() {
	# the figure is the words up to seetop's value, the first number with a unit
	awk '/^[0-9]+ +[0-9]/ { fig=""; for (i=2;i<=NF;i++) if ($i ~ /^[0-9.]+(s|\/s|ms|MB|KB|x)$/) break; else fig=fig (fig?" ":"") $i
		if (i > NF) next; v=$i; unit=v; gsub(/[0-9.]/, "", unit); gsub(/[^0-9.]/, "", v)
		printf "%s\t%s\t%s\t%s\n", $1, fig, v, unit }' "$@"
}
for side in old new; do
	extract "$out/$side".* | sort -t"$(printf '\t')" -k1,1n -k2,2 -s >"$out/$side.all"
done
printf '%-9s %-52s %14s %14s %9s\n' size figure old new new/old
awk -F'\t' 'FNR==NR { k=$1 FS $2; o[k]=o[k] " " $3; u[k]=$4; order[++n]=k; next }
	{ k=$1 FS $2; w[k]=w[k] " " $3 }
	function med(s,   a, m, i, j, t) { m=split(s, a, " "); for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (a[j]<a[i]) { t=a[i]; a[i]=a[j]; a[j]=t }
		return m % 2 ? a[(m+1)/2] : (a[m/2]+a[m/2+1])/2 }
	END { for (q=1;q<=n;q++) { k=order[q]; if ((k in seen) || !(k in w)) continue; seen[k]=1; split(k, p, FS)
		x=med(o[k]); y=med(w[k]); printf "%-9s %-52s %12.3f%-2s %12.3f%-2s %9.2f\n", p[1], p[2], x, u[k], y, u[k], (x > 0 ? y / x : 0) } }' \
	"$out/old.all" "$out/new.all"
