#!/bin/bash
# build_flags.sh - who gets -Werror. A user's or a packager's plain
# `cmake -DCMAKE_BUILD_TYPE=Release` must build with whatever compiler
# they have, so it gets the warnings but not -Werror; the project's own
# builds (the Makefile, .ci/run) ask for it with -DSS_WERROR=ON. Only the
# configure step runs (a few seconds); .ci/run builds the tree itself.
#
# Usage: build_flags.sh CMAKE SRCDIR
set -uo pipefail
cmake=$1 src=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0

# flags DIR: the compile flags of the util library as configured in DIR.
flags() { cat "$1/CMakeFiles/ss_util.dir/flags.make" 2>/dev/null; }

configure() { # configure DIR ARGS...: 0 when it configured
	local dir=$1
	shift
	"$cmake" -S "$src" -B "$dir" "$@" >"$dir.log" 2>&1 || {
		echo "FAIL cmake $*: $(tail -n 5 "$dir.log")"
		return 1
	}
}

compilers=cc
command -v clang >/dev/null && compilers="cc clang"
for c in $compilers; do
	if CC=$c configure "$t/rel-$c" -DCMAKE_BUILD_TYPE=Release; then
		f=$(flags "$t/rel-$c")
		if grep -q -- '-Werror' <<<"$f"; then
			echo "FAIL a plain Release build with CC=$c gets -Werror"
			fail=1
		elif ! grep -q -- '-Wall' <<<"$f"; then
			echo "FAIL a plain Release build with CC=$c lost the warnings: $f"
			fail=1
		else
			echo "ok   a plain Release build with CC=$c: warnings, no -Werror"
		fi
	else
		fail=1
	fi
done
if configure "$t/werror" -DCMAKE_BUILD_TYPE=Release -DSS_WERROR=ON; then
	grep -q -- '-Werror' <<<"$(flags "$t/werror")" && echo "ok   -DSS_WERROR=ON gives -Werror" ||
		{ echo "FAIL -DSS_WERROR=ON gives no -Werror"; fail=1; }
else
	fail=1
fi
exit $fail
