#!/bin/bash
# check_layers.sh - fails when a file includes a header of a higher layer.
#
# Usage: check_layers.sh SRCDIR     check the tree
#        check_layers.sh --self-test
# The layers, lowest first: util capture reassembly dissect verify report.
# A file may include headers of its own layer and of the layers below; cli/,
# tests/ and bench/ sit above all and are not checked. --self-test builds a
# small tree with one back edge and checks that it is caught, so this check
# can fail.
set -euo pipefail
layers=(util capture reassembly dissect verify report)

check() {
	local top=$1 bad=0
	declare -A level=()
	for i in "${!layers[@]}"; do
		[ -d "$top/${layers[$i]}" ] || continue
		while IFS= read -r h; do
			level[$(basename "$h")]=$i
		done < <(find "$top/${layers[$i]}" -name '*.h')
	done
	for i in "${!layers[@]}"; do
		[ -d "$top/${layers[$i]}" ] || continue
		while IFS=: read -r file inc; do
			name=$(sed -E 's/.*"([^"]+)".*/\1/' <<<"$inc")
			name=$(basename "$name")
			j=${level[$name]:-}
			if [ -n "$j" ] && [ "$j" -gt "$i" ]; then
				echo "layering: $file includes $name from ${layers[$j]}/, above ${layers[$i]}/"
				bad=1
			fi
		done < <(grep -rHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$top/${layers[$i]}" \
			--include='*.c' --include='*.h' || true)
	done
	return $bad
}

if [ "${1:-}" = --self-test ]; then
	t=$(mktemp -d)
	trap 'rm -rf "$t"' EXIT
	mkdir -p "$t/util" "$t/report"
	echo '#include "report.h"' >"$t/util/bad.c"
	touch "$t/report/report.h" "$t/util/util.h"
	echo '#include "util.h"' >"$t/report/good.c"
	if check "$t" >/dev/null; then
		echo "self-test: a back edge went unnoticed"
		exit 1
	fi
	rm "$t/util/bad.c"
	check "$t" || { echo "self-test: a clean tree was refused"; exit 1; }
	echo "self-test: ok"
	exit 0
fi
check "${1:?usage: check_layers.sh SRCDIR}" && echo "layers: no back edges"
