#!/bin/bash
# check_style.sh - the house rules a compiler does not check.
#
# Usage: check_style.sh [SRCDIR]
# 1. In capture/, reassembly/ and dissect/ - the code that reads wire bytes -
#    the C string functions are banned: wire data is counted, never
#    NUL-terminated (a NUL is payload), and sprintf/atoi have no bounds.
# 2. Every C file opens with a comment that says what it holds.
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
done < <(find util capture reassembly dissect verify report cli tests bench -name '*.[ch]' 2>/dev/null)
[ $bad = 0 ] && echo "style: ok"
exit $bad
