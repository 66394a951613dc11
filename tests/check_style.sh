#!/bin/bash
# check_style.sh - the house rules a compiler does not check.
#
# Usage: check_style.sh [SRCDIR]
# 1. In capture/, reassembly/ and dissect/ - the code that reads wire bytes -
#    the C string functions are banned: wire data is counted, never
#    NUL-terminated (a NUL is payload), and sprintf/atoi have no bounds.
# 2. Every C file opens with a comment that says what it holds.
# 3. The layout is .clang-format's (clang-format -i fixes it).
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
bad=0
banned='\b(strcpy|strncpy|strcat|strncat|sprintf|vsprintf|gets|atoi|atol|atoll|strlen|strcmp|strncmp|strcasecmp|strchr|strrchr|strstr|strtok)[[:space:]]*\('
if grep -rnE "$banned" capture reassembly dissect --include='*.c' --include='*.h'; then
	echo "style: C string functions on the wire-data side (see the ban list above)"
	bad=1
fi
while IFS= read -r f; do
	head -n 1 "$f" | grep -q '^/\*' || { echo "style: $f does not open with a summary comment"; bad=1; }
done < <(find util capture reassembly dissect verify report cli tests bench -name '*.[ch]' 2>/dev/null || true)
if command -v clang-format >/dev/null; then
	files=$(find util capture reassembly dissect verify report cli tests bench -name '*.[ch]' 2>/dev/null || true)
	# shellcheck disable=SC2086
	if ! clang-format --dry-run --Werror $files 2>"${TMPDIR:-/tmp}/style.$$"; then
		grep -E '^[^ ].*(warning|error):' "${TMPDIR:-/tmp}/style.$$" | cut -d: -f1 | sort -u |
			sed 's/^/style: not in the house layout (clang-format -i): /'
		bad=1
	fi
	rm -f "${TMPDIR:-/tmp}/style.$$"
else
	echo "style: clang-format is not installed; the layout was not checked"
fi
[ $bad = 0 ] && echo "style: ok"
exit $bad
